import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jwtVerify, SignJWT } from 'jose';
import type { EditorSignIn } from '#shared/ports.ts';

/** The local desk's editors (`.local/desk-users.json`): what Amazon Cognito's user pool holds in AWS. */
export const DESK_USERS_FILE = 'desk-users.json';
const SECRET_FILE = 'desk-token-key';
/** How long a sign-in lasts, as Cognito's ID tokens do by default. */
const TOKEN_HOURS = 1;

interface LocalEditor {
  readonly username: string;
  readonly name: string;
  readonly salt: string;
  readonly hash: string;
}

const hashOf = (password: string, salt: string) => scryptSync(password, salt, 32).toString('base64');

/**
 * Makes the users file if there is none, with one editor whose password is new: returned, for `npm start`
 * to print once. Later starts keep the file (and its passwords) as it is.
 */
export function ensureDeskUsers(dataDir: string): { username: string; password: string } | undefined {
  const file = join(dataDir, DESK_USERS_FILE);
  if (existsSync(file)) return undefined;
  const password = randomBytes(9).toString('base64url');
  const salt = randomBytes(16).toString('base64');
  const editor: LocalEditor = {
    username: 'bientap',
    name: 'Biên tập viên',
    salt,
    hash: hashOf(password, salt),
  };
  writeFileSync(file, `${JSON.stringify([editor], null, 2)}\n`, { mode: 0o600 });
  return { username: editor.username, password };
}

function tokenKey(dataDir: string): Uint8Array {
  const file = join(dataDir, SECRET_FILE);
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
  return Buffer.from(readFileSync(file, 'utf8'), 'base64');
}

/** Sign-in against the users file, with tokens shaped as Cognito's ID tokens (`name`, `cognito:username`). */
export class LocalEditorSignIn implements EditorSignIn {
  constructor(private readonly dataDir: string) {}

  async signIn(username: string, password: string) {
    let editors: LocalEditor[] = [];
    try {
      editors = JSON.parse(readFileSync(join(this.dataDir, DESK_USERS_FILE), 'utf8')) as LocalEditor[];
    } catch {
      return { kind: 'refused' as const };
    }
    const editor = editors.find((e) => e.username === username);
    const given = Buffer.from(hashOf(password, editor?.salt ?? 'none'));
    const wanted = Buffer.from(editor?.hash ?? hashOf('', 'none'));
    if (!editor || given.byteLength !== wanted.byteLength || !timingSafeEqual(given, wanted)) {
      return { kind: 'refused' as const };
    }
    const token = await new SignJWT({
      name: editor.name,
      'cognito:username': editor.username,
      token_use: 'id',
    })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(editor.username)
      .setIssuedAt()
      .setExpirationTime(`${TOKEN_HOURS}h`)
      .sign(tokenKey(this.dataDir));
    return { kind: 'signed-in' as const, token, name: editor.name };
  }
}

/** The claims of a token the local desk signed, as API Gateway's JWT authorizer passes them; none if not valid. */
export async function verifyDeskToken(
  dataDir: string,
  header: string | undefined,
): Promise<Record<string, unknown> | undefined> {
  const token = header?.replace(/^Bearer\s+/i, '');
  if (!token) return undefined;
  try {
    const { payload } = await jwtVerify(token, tokenKey(dataDir), { algorithms: ['HS256'] });
    return payload as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
