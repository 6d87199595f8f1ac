import { composeDesk } from './compose.ts';
import { makeDeskHandler } from './handler.ts';

/** The desk function's Lambda entry. */
export const handler = makeDeskHandler(composeDesk(process.env));
