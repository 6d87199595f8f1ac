import {
  AssociateSoftwareTokenCommand,
  CodeMismatchException,
  type CognitoIdentityProviderClient,
  EnableSoftwareTokenMFAException,
  ExpiredCodeException,
  InitiateAuthCommand,
  type InitiateAuthCommandOutput,
  InvalidPasswordException,
  NotAuthorizedException,
  RespondToAuthChallengeCommand,
  UserNotFoundException,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { decodeJwt } from 'jose';
import type { EditorSignIn, SignInAnswer, SignInStep } from '../../ports.ts';

/**
 * Editors sign in against the desk's Cognito user pool (USER_PASSWORD_AUTH on an app client without a
 * secret), answering each challenge the pool sets: a new password at the first sign-in with a temporary
 * one (NEW_PASSWORD_REQUIRED), the authenticator app's code (SOFTWARE_TOKEN_MFA), and, where two-step
 * sign-in is required and not yet set up, the authenticator's secret and its first code (MFA_SETUP).
 */
export class CognitoEditorSignIn implements EditorSignIn {
  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly clientId: string,
  ) {}

  async signIn(step: SignInStep): Promise<SignInAnswer> {
    try {
      switch (step.kind) {
        case 'password':
          return await this.#answer(
            step.username,
            await this.client.send(
              new InitiateAuthCommand({
                ClientId: this.clientId,
                AuthFlow: 'USER_PASSWORD_AUTH',
                AuthParameters: { USERNAME: step.username, PASSWORD: step.password },
              }),
            ),
          );
        case 'new-password':
          return await this.#respond(step, 'NEW_PASSWORD_REQUIRED', { NEW_PASSWORD: step.newPassword });
        case 'totp':
          return await this.#respond(step, 'SOFTWARE_TOKEN_MFA', { SOFTWARE_TOKEN_MFA_CODE: step.code });
        case 'totp-setup': {
          const verified = await this.client.send(
            new VerifySoftwareTokenCommand({
              Session: step.session,
              UserCode: step.code,
              FriendlyDeviceName: 'Bàn biên tập',
            }),
          );
          if (verified.Status !== 'SUCCESS' || !verified.Session) return { kind: 'refused', reason: 'code' };
          return await this.#respond({ ...step, session: verified.Session }, 'MFA_SETUP', {});
        }
      }
    } catch (err) {
      return refusal(step, err);
    }
  }

  #respond(
    step: { readonly username: string; readonly session: string },
    challenge: 'NEW_PASSWORD_REQUIRED' | 'SOFTWARE_TOKEN_MFA' | 'MFA_SETUP',
    responses: Record<string, string>,
  ): Promise<SignInAnswer> {
    return this.client
      .send(
        new RespondToAuthChallengeCommand({
          ClientId: this.clientId,
          ChallengeName: challenge,
          Session: step.session,
          ChallengeResponses: { USERNAME: step.username, ...responses },
        }),
      )
      .then((out) => this.#answer(step.username, out));
  }

  async #answer(
    typed: string,
    out: Pick<
      InitiateAuthCommandOutput,
      'ChallengeName' | 'Session' | 'ChallengeParameters' | 'AuthenticationResult'
    >,
  ): Promise<SignInAnswer> {
    // The pool's own name for the user (an editor may sign in with their email address).
    const username = out.ChallengeParameters?.USER_ID_FOR_SRP ?? typed;
    const session = out.Session;
    if (out.ChallengeName === 'NEW_PASSWORD_REQUIRED' && session)
      return { kind: 'new-password', session, username };
    if (out.ChallengeName === 'SOFTWARE_TOKEN_MFA' && session) return { kind: 'totp', session, username };
    if (out.ChallengeName === 'MFA_SETUP' && session) {
      const token = await this.client.send(new AssociateSoftwareTokenCommand({ Session: session }));
      if (!token.SecretCode || !token.Session) return { kind: 'refused', reason: 'unsupported' };
      return { kind: 'totp-setup', session: token.Session, username, secret: token.SecretCode };
    }
    const idToken = out.AuthenticationResult?.IdToken;
    if (!idToken) return { kind: 'refused', reason: out.ChallengeName ? 'unsupported' : 'credentials' };
    const claims = decodeJwt(idToken);
    const name = typeof claims.name === 'string' ? claims.name : username;
    return { kind: 'signed-in', token: idToken, name };
  }
}

/** What a refusal of a step means to the editor; anything else is the pool failing, and thrown. */
function refusal(step: SignInStep, err: unknown): SignInAnswer {
  if (err instanceof CodeMismatchException || err instanceof EnableSoftwareTokenMFAException) {
    return { kind: 'refused', reason: 'code' };
  }
  if (err instanceof ExpiredCodeException) return { kind: 'refused', reason: 'expired' };
  if (err instanceof InvalidPasswordException) {
    return { kind: 'refused', reason: step.kind === 'new-password' ? 'new-password' : 'credentials' };
  }
  if (err instanceof NotAuthorizedException) {
    // A challenge answered after its session ran out (three minutes) is refused as not authorized.
    return {
      kind: 'refused',
      reason: step.kind !== 'password' && /session/i.test(err.message) ? 'expired' : 'credentials',
    };
  }
  if (err instanceof UserNotFoundException) return { kind: 'refused', reason: 'credentials' };
  throw err;
}
