import { composeRender } from './compose.ts';
import { makeRenderHandler } from './handler.ts';

// Configuration and clients are made once per container, at cold start.
export const handler = makeRenderHandler(composeRender(process.env));
