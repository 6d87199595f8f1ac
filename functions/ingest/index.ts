import { composeIngest } from './compose.ts';
import { makeIngestHandler } from './handler.ts';

// Configuration and clients are made once per container, at cold start.
export const handler = makeIngestHandler(composeIngest(process.env));
