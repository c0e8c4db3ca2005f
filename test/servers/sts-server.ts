import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { escapeXml, readForm, sendQueryError, sendXml } from './aws-query.ts';
import { dropConnection, serveLocal } from './local-http.ts';

/*
 * An in-memory STS that answers AssumeRole, the one operation organization mode sends
 * (lib/aws/accounts.ts), over the awsQuery protocol the SDK's STSClient speaks: POST / with a form
 * body (`Action=AssumeRole&Version=2011-06-15&RoleArn=…&RoleSessionName=…&DurationSeconds=…`), an
 * XML AssumeRoleResponse back, errors as an XML ErrorResponse whose <Code> the SDK maps to its
 * exception (`AccessDenied`). It checks what STS checks of the request's shape (a role ARN, a
 * session name of 2-64 of [\w+=,.@-], a duration of 900-43200 s), records every call, and refuses
 * the roles of the accounts in `denied` as IAM would when the role is missing or its trust policy
 * does not admit the caller. The credentials it issues name the account in their access key id
 * (`ASIA<account>…`), so a test can tell from the signature which account a call was made for.
 * SigV4 is not checked. It binds 127.0.0.1 on a free port only.
 */

const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/([\w+=,.@/-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

interface StsCall {
  readonly operation: string;
  readonly params: Readonly<Record<string, string>>;
  /** The account whose role was asked for, when the ARN named one. */
  readonly account: string | undefined;
  readonly refused: boolean;
}

interface StsServerOptions {
  /** Accounts whose roles cannot be assumed (AccessDenied). Mutable: tests fix a role midway. */
  readonly denied?: Set<string>;
  /** Clock in milliseconds for the credentials' Expiration. */
  readonly now?: () => number;
}

interface StsServer {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_STS or the client's `endpoint`. */
  readonly endpoint: string;
  /** Every request received, in order (a live array). */
  readonly calls: readonly StsCall[];
  readonly denied: Set<string>;
  stop(): Promise<void>;
}

function sendError(response: ServerResponse, status: number, code: string, message: string): void {
  sendQueryError(response, NAMESPACE, { status, code, message });
}

/** The access key id of credentials issued for `account`: `ASIA` + the account + 4 characters. */
function accessKeyFor(account: string): string {
  return `ASIA${account}${randomUUID().slice(0, 4).toUpperCase()}`;
}

/** The account an access key id issued by this server names, else undefined. */
function accountOfAccessKey(accessKeyId: string): string | undefined {
  return /^ASIA(\d{12})/.exec(accessKeyId)?.[1];
}

/** Starts the server; `stop()` closes it. */
async function startStsServer(options: StsServerOptions = {}): Promise<StsServer> {
  const calls: StsCall[] = [];
  const denied = options.denied ?? new Set<string>();
  const now = options.now ?? Date.now;
  const server = await serveLocal(async (request, response) => {
    const params = await readForm(request);
    const operation = params['Action'] ?? '';
    if (operation !== 'AssumeRole') {
      calls.push({ operation, params, account: undefined, refused: true });
      sendError(response, 400, 'InvalidAction', `${operation} is not served here`);
      return;
    }
    const arn = ROLE_ARN.exec(params['RoleArn'] ?? '');
    const account = arn?.[1];
    const session = params['RoleSessionName'] ?? '';
    const duration = Number(params['DurationSeconds'] ?? '3600');
    const refused = arn === null || denied.has(account ?? '');
    calls.push({ operation, params, account, refused });
    if (arn === null || !SESSION_NAME.test(session)) {
      sendError(response, 400, 'ValidationError', 'RoleArn or RoleSessionName is not valid');
      return;
    }
    if (!Number.isInteger(duration) || duration < 900 || duration > 43_200) {
      sendError(response, 400, 'ValidationError', 'DurationSeconds must be 900 to 43200');
      return;
    }
    if (denied.has(account ?? '')) {
      sendError(
        response,
        403,
        'AccessDenied',
        `User: arn:aws:sts::111122223333:assumed-role/central/analyzer is not authorized to perform: sts:AssumeRole on resource: ${params['RoleArn']}`,
      );
      return;
    }
    const expiration = new Date(now() + duration * 1000).toISOString();
    sendXml(
      response,
      200,
      `<AssumeRoleResponse xmlns="${NAMESPACE}"><AssumeRoleResult><Credentials><AccessKeyId>${accessKeyFor(account ?? '')}</AccessKeyId><SecretAccessKey>${randomUUID()}</SecretAccessKey><SessionToken>${randomUUID()}</SessionToken><Expiration>${expiration}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA${account}:${escapeXml(session)}</AssumedRoleId><Arn>arn:aws:sts::${account}:assumed-role/${escapeXml(arn[2] ?? '')}/${escapeXml(session)}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    );
  }, dropConnection);
  return { endpoint: server.endpoint, calls, denied, stop: () => server.stop() };
}

export type { StsCall, StsServer, StsServerOptions };
export { accountOfAccessKey, startStsServer };
