import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminCreateUserCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CognitoEditorSignIn } from '#shared/adapters/cognito/sign-in.ts';
import { type LocalCognito, startCognito } from '../../local/cognito.ts';
import { enrolAuthenticator } from '../support/authenticator.ts';

const POOL = 'us-east-1_TESTPOOL1';
const CLIENT = 'testclient0123456789abcdef';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const client = (endpoint: string) =>
  new CognitoIdentityProviderClient({ region: 'us-east-1', endpoint, credentials });

describe('sign-in against a Cognito user pool (cognito-local)', () => {
  let cognito: LocalCognito;
  let dir: string;
  let admin: CognitoIdentityProviderClient;
  let signIn: CognitoEditorSignIn;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'newsroom-cognito-'));
    cognito = await startCognito({
      dir,
      pools: [
        {
          id: POOL,
          name: 'editors',
          mfaConfiguration: 'OPTIONAL',
          clients: [{ id: CLIENT, name: 'desk', authFlows: ['ALLOW_USER_PASSWORD_AUTH'] }],
        },
      ],
    });
    admin = client(cognito.endpoint);
    signIn = new CognitoEditorSignIn(client(cognito.endpoint), CLIENT);
  }, 30_000);

  afterAll(async () => {
    admin?.destroy();
    await cognito?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks a new editor for a new password, then signs them in with it', async () => {
    await admin.send(
      new AdminCreateUserCommand({
        UserPoolId: POOL,
        Username: 'phongvien',
        TemporaryPassword: 'Tam-thoi-2026!',
        MessageAction: 'SUPPRESS',
      }),
    );
    const first = await signIn.signIn({
      kind: 'password',
      username: 'phongvien',
      password: 'Tam-thoi-2026!',
    });
    if (first.kind !== 'new-password') throw new Error(`expected a new password, got ${first.kind}`);
    const done = await signIn.signIn({
      kind: 'new-password',
      username: first.username,
      session: first.session,
      newPassword: 'Mat-khau-rieng-2026!',
    });
    expect(done.kind).toBe('signed-in');
    const again = await signIn.signIn({
      kind: 'password',
      username: 'phongvien',
      password: 'Mat-khau-rieng-2026!',
    });
    expect(again).toMatchObject({ kind: 'signed-in', name: 'phongvien' });
    // A token the authorizer can check: signed by the pool's key, issued by it, for the desk's client.
    if (again.kind !== 'signed-in') return;
    const claims = JSON.parse(Buffer.from(again.token.split('.')[1] ?? '', 'base64url').toString());
    expect(claims).toMatchObject({ iss: cognito.issuer(POOL), aud: CLIENT, 'cognito:username': 'phongvien' });
  });

  it('refuses a wrong password, and an unknown editor, the same way', async () => {
    expect(await signIn.signIn({ kind: 'password', username: 'phongvien', password: 'sai-roi' })).toEqual({
      kind: 'refused',
      reason: 'credentials',
    });
    expect(await signIn.signIn({ kind: 'password', username: 'khong-co', password: 'x' })).toEqual({
      kind: 'refused',
      reason: 'credentials',
    });
  });

  it('asks an editor with an authenticator app for its code, refuses a wrong one, accepts the right one', async () => {
    const totp = await enrolAuthenticator(admin, CLIENT, {
      username: 'phongvien',
      password: 'Mat-khau-rieng-2026!',
    });
    const asked = await signIn.signIn({
      kind: 'password',
      username: 'phongvien',
      password: 'Mat-khau-rieng-2026!',
    });
    if (asked.kind !== 'totp') throw new Error(`expected a code, got ${asked.kind}`);
    const wrong = totp.generate() === '000000' ? '111111' : '000000';
    expect(
      await signIn.signIn({ kind: 'totp', username: asked.username, session: asked.session, code: wrong }),
    ).toEqual({ kind: 'refused', reason: 'code' });
    expect(
      await signIn.signIn({
        kind: 'totp',
        username: asked.username,
        session: asked.session,
        code: totp.generate(),
      }),
    ).toMatchObject({ kind: 'signed-in' });
  });
});

/**
 * MFA_SETUP, which cognito-local does not offer: a user pool that requires two-step sign-in answers a first
 * sign-in with it. The pool here answers as Cognito's API reference describes each call.
 */
describe('sign-in when the user pool requires an authenticator not yet set up', () => {
  let server: Server;
  let endpoint = '';
  const calls: { target: string; body: Record<string, unknown> }[] = [];
  const idToken = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
    JSON.stringify({ 'cognito:username': 'thuky', token_use: 'id' }),
  ).toString('base64url')}.`;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => {
        raw += c.toString();
      });
      req.on('end', () => {
        const target = String(req.headers['x-amz-target']).replace('AWSCognitoIdentityProviderService.', '');
        const body = JSON.parse(raw) as Record<string, unknown>;
        calls.push({ target, body });
        const answer = (status: number, value: unknown, type?: string) => {
          res.writeHead(status, {
            'content-type': 'application/x-amz-json-1.1',
            ...(type ? { 'x-amzn-errortype': type } : {}),
          });
          res.end(JSON.stringify(value));
        };
        if (target === 'InitiateAuth') {
          return answer(200, {
            ChallengeName: 'MFA_SETUP',
            Session: 's1',
            ChallengeParameters: { USER_ID_FOR_SRP: 'thuky' },
          });
        }
        if (target === 'AssociateSoftwareToken' && body.Session === 's1') {
          return answer(200, { SecretCode: 'JBSWY3DPEHPK3PXP', Session: 's2' });
        }
        if (target === 'VerifySoftwareToken' && body.Session === 's2') {
          if (body.UserCode !== '123456')
            return answer(400, { message: 'Invalid code' }, 'EnableSoftwareTokenMFAException');
          return answer(200, { Status: 'SUCCESS', Session: 's3' });
        }
        if (
          target === 'RespondToAuthChallenge' &&
          body.ChallengeName === 'MFA_SETUP' &&
          body.Session === 's3'
        ) {
          return answer(200, {
            AuthenticationResult: { IdToken: idToken, AccessToken: 'a', ExpiresIn: 3600 },
          });
        }
        answer(400, { message: `unexpected ${target}` }, 'InvalidParameterException');
      });
    });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('gives the editor the secret for their app, then signs them in with its first code', async () => {
    const signIn = new CognitoEditorSignIn(client(endpoint), CLIENT);
    const setup = await signIn.signIn({ kind: 'password', username: 'thuky', password: 'Mat-khau-2026!' });
    expect(setup).toEqual({
      kind: 'totp-setup',
      session: 's2',
      username: 'thuky',
      secret: 'JBSWY3DPEHPK3PXP',
    });
    expect(
      await signIn.signIn({ kind: 'totp-setup', username: 'thuky', session: 's2', code: '654321' }),
    ).toEqual({ kind: 'refused', reason: 'code' });
    expect(
      await signIn.signIn({ kind: 'totp-setup', username: 'thuky', session: 's2', code: '123456' }),
    ).toEqual({ kind: 'signed-in', token: idToken, name: 'thuky' });
    expect(calls.at(-1)?.body).toMatchObject({
      ChallengeName: 'MFA_SETUP',
      ChallengeResponses: { USERNAME: 'thuky' },
    });
  });
});
