import {
  AssociateSoftwareTokenCommand,
  type CognitoIdentityProviderClient,
  InitiateAuthCommand,
  SetUserMFAPreferenceCommand,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { Secret, TOTP } from 'otpauth';

/**
 * An editor adds the user pool to an authenticator app and turns two-step sign-in on, as any Cognito
 * client lets a signed-in user do: the app's codes (TOTP, SHA-1, six digits, 30 s) from then on.
 */
export async function enrolAuthenticator(
  cognito: CognitoIdentityProviderClient,
  clientId: string,
  editor: { readonly username: string; readonly password: string },
): Promise<TOTP> {
  const signedIn = await cognito.send(
    new InitiateAuthCommand({
      ClientId: clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: editor.username, PASSWORD: editor.password },
    }),
  );
  const AccessToken = signedIn.AuthenticationResult?.AccessToken ?? '';
  const { SecretCode } = await cognito.send(new AssociateSoftwareTokenCommand({ AccessToken }));
  const totp = new TOTP({
    secret: Secret.fromBase32(SecretCode ?? ''),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
  });
  await cognito.send(new VerifySoftwareTokenCommand({ AccessToken, UserCode: totp.generate() }));
  await cognito.send(
    new SetUserMFAPreferenceCommand({
      AccessToken,
      SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
    }),
  );
  return totp;
}
