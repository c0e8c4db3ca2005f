import * as z from 'zod';

/*
 * The custom-notification format of Amazon Q Developer in chat applications, as its admin guide
 * documents it (https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html, "Event
 * schema" and "Parameter details"; docs/operate.md#chat-alerts): `version` "1.0" and `source`
 * "custom" required, `textType` only "client-markdown", title up to 250 characters, description
 * up to 8,000, each next step up to 350, each keyword up to 75; metadata strings, and
 * `additionalContext` a string-to-string map. Strict, so a misspelt field fails the test.
 */
const CustomNotificationSchema = z
  .object({
    version: z.literal('1.0'),
    source: z.literal('custom'),
    id: z.string().optional(),
    content: z
      .object({
        textType: z.literal('client-markdown').optional(),
        title: z.string().max(250).optional(),
        description: z.string().max(8000),
        nextSteps: z.array(z.string().max(350)).optional(),
        keywords: z.array(z.string().max(75)).optional(),
      })
      .strict(),
    metadata: z
      .object({
        threadId: z.string().optional(),
        summary: z.string().optional(),
        eventType: z.string().optional(),
        relatedResources: z.array(z.string()).optional(),
        additionalContext: z.record(z.string(), z.string()).optional(),
        enableCustomActions: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** SNS's limit on one message: 256 KiB of UTF-8. */
const SNS_MAX_BYTES = 262_144;

export { CustomNotificationSchema, SNS_MAX_BYTES };
