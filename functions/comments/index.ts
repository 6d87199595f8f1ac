import { composeComments } from './compose.ts';
import { makeCommentsHandler } from './handler.ts';

/** The comments function's Lambda entry. */
export const handler = makeCommentsHandler(composeComments(process.env));
