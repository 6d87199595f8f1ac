import { composeNotFound } from './compose.ts';
import { makeNotFoundHandler } from './handler.ts';

/** The not-found function's Lambda entry. */
export const handler = makeNotFoundHandler(composeNotFound(process.env));
