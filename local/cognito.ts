import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './synth.ts';

/** A user pool and its app clients, as the template declares them. */
export interface UserPoolDefinition {
  readonly id: string;
  readonly name: string;
  readonly mfaConfiguration: string;
  readonly passwordPolicy?: Readonly<Record<string, unknown>>;
  readonly clients: readonly {
    readonly id: string;
    readonly name: string;
    readonly authFlows: readonly string[];
  }[];
}

export interface LocalCognito {
  readonly endpoint: string;
  /** The issuer of a pool's tokens here (Cognito's is `https://cognito-idp.<region>.amazonaws.com/<pool>`). */
  issuer(poolId: string): string;
  stop(): Promise<void>;
}

/**
 * Amazon Cognito user pools on this machine: cognito-local (a process of its own, state in `dir`), with the
 * pools and app clients of the template written into its state under their template ids, so the desk
 * function's client id and the authorizer's issuer are the ones it serves. Its tokens are RS256-signed
 * and listed at `<issuer>/.well-known/jwks.json`, as Cognito's.
 */
export async function startCognito(options: {
  readonly dir: string;
  readonly port?: number;
  readonly pools: readonly UserPoolDefinition[];
}): Promise<LocalCognito> {
  const port = options.port || (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const state = join(options.dir, '.cognito');
  const db = join(state, 'db');
  mkdirSync(db, { recursive: true });
  // Plain user names (not only emails), and the issuer under the address it is reached at.
  writeFileSync(
    join(state, 'config.json'),
    JSON.stringify({ UserPoolDefaults: { UsernameAttributes: [] }, TokenConfig: { IssuerDomain: endpoint } }),
  );
  const clientsFile = join(db, 'clients.json');
  const clients = existsSync(clientsFile)
    ? (JSON.parse(readFileSync(clientsFile, 'utf8')) as { Clients: Record<string, unknown> })
    : { Clients: {} };
  const now = Date.now();
  for (const pool of options.pools) {
    const poolFile = join(db, `${pool.id}.json`);
    const kept = existsSync(poolFile)
      ? (JSON.parse(readFileSync(poolFile, 'utf8')) as { Users?: unknown; Groups?: unknown })
      : {};
    writeFileSync(
      poolFile,
      JSON.stringify({
        Options: {
          Id: pool.id,
          Name: pool.name,
          MfaConfiguration: pool.mfaConfiguration,
          UsernameAttributes: [],
          ...(pool.passwordPolicy ? { Policies: { PasswordPolicy: pool.passwordPolicy } } : {}),
          CreationDate: now,
          LastModifiedDate: now,
        },
        Users: kept.Users ?? {},
        Groups: kept.Groups ?? {},
      }),
    );
    for (const client of pool.clients) {
      clients.Clients[client.id] = {
        ClientId: client.id,
        ClientName: client.name,
        UserPoolId: pool.id,
        ExplicitAuthFlows: client.authFlows,
        CreationDate: now,
        LastModifiedDate: now,
      };
    }
  }
  writeFileSync(clientsFile, JSON.stringify(clients));
  const log = openSync(join(options.dir, 'cognito-local.log'), 'a');
  const child: ChildProcess = spawn(
    process.execPath,
    [join(ROOT, 'node_modules', 'cognito-local', 'lib', 'bin', 'start.js')],
    {
      cwd: options.dir,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        HOST: '127.0.0.1',
        AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
      },
      stdio: ['ignore', log, log],
    },
  );
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`cognito-local stopped (code ${code}); see ${options.dir}/cognito-local.log`)),
    ),
  );
  exited.catch(() => {});
  await Promise.race([untilHealthy(endpoint), exited]);
  return {
    endpoint,
    issuer: (poolId) => `${endpoint}/${poolId}`,
    async stop() {
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

async function untilHealthy(endpoint: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      const res = await fetch(`${endpoint}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`cognito-local did not answer at ${endpoint}/health`);
}

/** A port nothing listens on now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
