import {
  type CognitoIdentityProviderClient,
  InitiateAuthCommand,
  NotAuthorizedException,
  RespondToAuthChallengeCommand,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { decodeJwt } from 'jose';
import type { EditorSignIn } from '../../ports.ts';

/**
 * Editors sign in against the desk's Cognito user pool (USER_PASSWORD_AUTH on an app client without a
 * secret). An editor an admin created signs in first with the temporary password and sets their own.
 */
export class CognitoEditorSignIn implements EditorSignIn {
  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly clientId: string,
  ) {}

  async signIn(username: string, password: string, newPassword?: { password: string; session: string }) {
    try {
      const out = newPassword
        ? await this.client.send(
            new RespondToAuthChallengeCommand({
              ClientId: this.clientId,
              ChallengeName: 'NEW_PASSWORD_REQUIRED',
              Session: newPassword.session,
              ChallengeResponses: { USERNAME: username, NEW_PASSWORD: newPassword.password },
            }),
          )
        : await this.client.send(
            new InitiateAuthCommand({
              ClientId: this.clientId,
              AuthFlow: 'USER_PASSWORD_AUTH',
              AuthParameters: { USERNAME: username, PASSWORD: password },
            }),
          );
      if (out.ChallengeName === 'NEW_PASSWORD_REQUIRED' && out.Session) {
        return { kind: 'new-password' as const, session: out.Session };
      }
      const token = out.AuthenticationResult?.IdToken;
      if (!token) return { kind: 'refused' as const };
      const claims = decodeJwt(token);
      const name = typeof claims.name === 'string' ? claims.name : username;
      return { kind: 'signed-in' as const, token, name };
    } catch (err) {
      if (err instanceof NotAuthorizedException || err instanceof UserNotFoundException) {
        return { kind: 'refused' as const };
      }
      throw err;
    }
  }
}
