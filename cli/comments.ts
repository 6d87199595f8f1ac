import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoComments } from '#shared/adapters/dynamodb/comments.ts';
import { SqsRenderQueue } from '#shared/adapters/sqs/render-queue.ts';
import type { ReaderComment } from '#shared/domain/comments.ts';
import type { RenderQueue } from '#shared/ports.ts';
import {
  banClient,
  CommentNotFoundError,
  decideComment,
  deleteComment,
  type ModerationDeps,
} from '#shared/use-cases/comments.ts';
import { ENDPOINTS_FILE } from '../local/stack.ts';

const USAGE = `npm run comments -- <command>

  pending [--json] [--limit N]     comments waiting for a decision, flagged first, then oldest
  approve <id>                     show it under its article (the page is rendered again)
  reject <id> [--reason "…"]       never show it
  delete <id>                      remove it and the personal data it holds (email, address hash)
  ban <hash>                       bar the network a comment came from (its "client" hash)

Against the local stack (npm start) unless COMMENT_TABLE and RENDER_QUEUE_URL are set, as the deployed
stack's outputs give them; then with your own AWS credentials (docs/comments.md).`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: 'boolean', default: false },
    limit: { type: 'string', default: '50' },
    reason: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const [command, arg] = positionals;
if (values.help || !command) {
  console.log(USAGE);
  process.exit(command || values.help ? 0 : 2);
}

const deployed = process.env.COMMENT_TABLE !== undefined && process.env.RENDER_QUEUE_URL !== undefined;
const moderator = deployed
  ? (process.env.MODERATOR ?? `aws:${process.env.AWS_PROFILE ?? 'default'}`)
  : `local:${userInfo().username}`;
const { comments, render } = deployed ? inAws() : locally();
const deps: ModerationDeps = { comments, bans: comments, render };

try {
  switch (command) {
    case 'pending':
      await pending(Number(values.limit));
      break;
    case 'approve':
      show('approved', await decideComment(deps, need(arg), { status: 'approved', by: moderator }));
      break;
    case 'reject':
      show(
        'rejected',
        await decideComment(deps, need(arg), {
          status: 'rejected',
          by: moderator,
          ...(values.reason ? { reason: values.reason } : {}),
        }),
      );
      break;
    case 'delete':
      show('deleted (personal data removed)', await deleteComment(deps, need(arg), moderator));
      break;
    case 'ban':
      await banClient(deps, need(arg), moderator);
      console.log(`banned ${arg}: posts from that network are refused`);
      break;
    default:
      console.error(`Unknown command "${command}".\n\n${USAGE}`);
      process.exit(2);
  }
} catch (err) {
  if (err instanceof CommentNotFoundError) {
    console.error(err.message);
    process.exit(1);
  }
  const name = (err as { name?: string }).name;
  if (name === 'ResourceNotFoundException' || (err as { code?: string }).code === 'ECONNREFUSED') {
    console.error(
      deployed
        ? `The comments table cannot be read: ${String(err)}`
        : 'No local stack: start it with "npm start".',
    );
    process.exit(1);
  }
  throw err;
}

async function pending(limit: number) {
  const list = await comments.pending(Number.isInteger(limit) && limit > 0 ? limit : 50);
  if (values.json) {
    const shown = list.map(({ id, articleId, name, text, createdAt, flags, client }) => ({
      id,
      article: articleId,
      name,
      text,
      createdAt,
      flags,
      client,
    }));
    console.log(JSON.stringify(shown, null, 2));
    return;
  }
  if (list.length === 0) console.log('No comment is waiting.');
  for (const c of list) {
    const flags = c.flags.length > 0 ? `  FLAGGED: ${c.flags.map((f) => f.detail).join('; ')}` : '';
    console.log(
      `${c.id}  ${c.createdAt}  ${c.articleId}  ${c.name}  client ${c.client}${flags}\n  ${c.text.replace(/\n/g, '\n  ')}\n`,
    );
  }
}

function show(what: string, comment: ReaderComment) {
  console.log(`${comment.id} ${what} (${comment.articleId}) by ${moderator}`);
}

function need(value: string | undefined): string {
  if (!value) {
    console.error(`"${command}" needs an argument.\n\n${USAGE}`);
    process.exit(2);
  }
  return value;
}

/** The deployed stack, with the moderator's own credentials (the SDK's default chain). */
function inAws(): { comments: DynamoComments; render: RenderQueue } {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    comments: new DynamoComments(documents, process.env.COMMENT_TABLE ?? ''),
    render: new SqsRenderQueue(new SQSClient({}), process.env.RENDER_QUEUE_URL ?? ''),
  };
}

/**
 * The running local stack, the same way as the deployed one: `npm start` writes its table, its render queue
 * and the endpoints of its stand-ins to `<data folder>/endpoints.json`, and the SDK reaches them through its
 * own endpoint settings.
 */
function locally(): { comments: DynamoComments; render: RenderQueue } {
  const dataDir = process.env.LOCAL_DATA_DIR ?? fileURLToPath(new URL('../.local', import.meta.url));
  let endpoints: Record<string, unknown>;
  try {
    endpoints = JSON.parse(readFileSync(`${dataDir}/${ENDPOINTS_FILE}`, 'utf8'));
  } catch {
    console.error(`No ${dataDir}/${ENDPOINTS_FILE}: is "npm start" running (LOCAL_DATA_DIR)?`);
    process.exit(1);
  }
  const {
    credentials,
    iamEnforced: _,
    ...settings
  } = endpoints as {
    credentials: { moderator: { accessKeyId: string; secretAccessKey: string } };
    iamEnforced?: boolean;
  } & Record<string, string>;
  // Locally, as the moderator the template's moderators' policy describes.
  Object.assign(process.env, settings, {
    AWS_ACCESS_KEY_ID: credentials.moderator.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.moderator.secretAccessKey,
  });
  return inAws();
}
