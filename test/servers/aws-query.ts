import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/*
 * The awsQuery protocol's plumbing, shared by the test servers that speak it (SNS, STS): a form
 * body in, an XML document out, and errors as an XML ErrorResponse whose <Code> the SDK maps to
 * its modelled exception. Each server keeps its own operations and namespace.
 */

/** Escapes text for an XML element or attribute. */
function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Answers with an XML document (the declaration is added here). */
function sendXml(response: ServerResponse, status: number, body: string): void {
  const text = `<?xml version="1.0"?>\n${body}`;
  response.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': String(Buffer.byteLength(text)),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(text);
}

/** An awsQuery error: `Receiver` for a 5xx (the SDK retries it), else `Sender`. */
function sendQueryError(
  response: ServerResponse,
  namespace: string,
  error: { readonly status: number; readonly code: string; readonly message: string },
): void {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  sendXml(
    response,
    error.status,
    `<ErrorResponse xmlns="${namespace}"><Error><Type>${type}</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}

/** The request's form parameters (`Action=…&Version=…&…`). */
async function readForm(request: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

export { escapeXml, readForm, sendQueryError, sendXml };
