/**
 * Runs an Amazon States Language definition (JSONPath) the way Step Functions does, for the states a
 * rebuild uses: Task (a Lambda invocation), Pass, Choice (BooleanEquals), and Map, inline or distributed,
 * with an S3 item reader (listObjectsV2, or getObject of a JSON array), ItemSelector and ItemBatcher. A map's
 * items run `concurrency` at a time (its MaxConcurrency, bounded here), in no promised order. Paths are the
 * plain `$.a.b` and `$$.…` forms the definition uses; anything else is refused rather than guessed.
 */

type Json = unknown;
type State = Record<string, Json>;

export interface Machine {
  /** The function a Task invokes, with the payload Step Functions sends (payloadResponseOnly). */
  readonly invoke: (payload: Json) => Promise<Json>;
  /** A bucket's objects as the listObjectsV2 item reader gives them (Key, Etag with quotes, Size…). */
  readonly listObjects: (bucket: string) => Promise<Json[]>;
  /** A JSON object of a bucket, parsed. */
  readonly getJson: (bucket: string, key: string) => Promise<Json>;
  readonly execution: { readonly Name: string; readonly StartTime: string };
  /** At most this many map items at once (a distributed map's MaxConcurrency, bounded). */
  readonly concurrency?: number;
  /** Every Task's state name, in the order they started. */
  readonly trace?: string[];
}

export async function runStateMachine(definition: State, machine: Machine, input: Json = {}): Promise<Json> {
  return runStates(definition, input, machine, {});
}

async function runStates(
  block: State,
  input: Json,
  m: Machine,
  context: Record<string, Json>,
): Promise<Json> {
  const states = block.States as Record<string, State>;
  let name = block.StartAt as string;
  let data = input;
  for (;;) {
    const state = states[name];
    if (!state) throw new Error(`no state ${name}`);
    const ctx = { ...context, Execution: m.execution };
    switch (state.Type) {
      case 'Task': {
        m.trace?.push(name);
        const payload = resolve(state.Parameters, data, ctx);
        data = place(data, state.ResultPath, await m.invoke(payload));
        break;
      }
      case 'Pass':
        data = place(data, state.ResultPath, 'Result' in state ? state.Result : data);
        break;
      case 'Choice': {
        const choices = state.Choices as State[];
        const taken = choices.find((c) => read(data, c.Variable as string, ctx) === c.BooleanEquals);
        if (choices.some((c) => !('BooleanEquals' in c))) throw new Error(`${name}: unsupported choice`);
        name = (taken?.Next ?? state.Default) as string;
        continue;
      }
      case 'Map':
        data = place(data, state.ResultPath, await runMap(name, state, data, m, ctx));
        break;
      default:
        throw new Error(`${name}: unsupported state type ${String(state.Type)}`);
    }
    if (state.End) return data;
    name = state.Next as string;
  }
}

async function runMap(name: string, state: State, data: Json, m: Machine, ctx: Record<string, Json>) {
  const reader = state.ItemReader as State | undefined;
  let items: Json[];
  if (reader) {
    const params = resolve(reader.Parameters, data, ctx) as { Bucket: string; Key?: string };
    if (String(reader.Resource).endsWith(':s3:listObjectsV2')) items = await m.listObjects(params.Bucket);
    else if (String(reader.Resource).endsWith(':s3:getObject'))
      items = (await m.getJson(params.Bucket, params.Key ?? '')) as Json[];
    else throw new Error(`${name}: unsupported item reader ${String(reader.Resource)}`);
  } else items = read(data, (state.ItemsPath as string) ?? '$', ctx) as Json[];
  const selected = items.map((value, index) =>
    state.ItemSelector
      ? resolve(state.ItemSelector, data, { ...ctx, Map: { Item: { Value: value, Index: index } } })
      : value,
  );
  const batcher = state.ItemBatcher as State | undefined;
  const inputs: Json[] = [];
  if (batcher) {
    const size = batcher.MaxItemsPerBatch as number;
    const batchInput = batcher.BatchInput ? resolve(batcher.BatchInput, data, ctx) : undefined;
    for (let i = 0; i < selected.length; i += size)
      inputs.push({ Items: selected.slice(i, i + size), ...(batchInput ? { BatchInput: batchInput } : {}) });
  } else inputs.push(...selected);
  const processor = state.ItemProcessor as State;
  const limit = Math.min(m.concurrency ?? 4, (state.MaxConcurrency as number | undefined) ?? Infinity);
  const results: Json[] = new Array(inputs.length);
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const at = next++;
      results[at] = await runStates(processor, inputs[at], m, {});
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, inputs.length)) }, worker));
  return results;
}

/** Parameters with `key.$` paths filled in, as Step Functions fills them. */
function resolve(template: Json, data: Json, ctx: Record<string, Json>): Json {
  if (Array.isArray(template)) return template.map((t) => resolve(t, data, ctx));
  if (template === null || typeof template !== 'object') return template;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) out[key.slice(0, -2)] = read(data, value as string, ctx);
    else out[key] = resolve(value, data, ctx);
  }
  return out;
}

function read(data: Json, path: string, ctx: Record<string, Json>): Json {
  const [root, ...rest] = path.startsWith('$$.') ? ['$$', ...path.slice(3).split('.')] : path.split('.');
  let at: Json = root === '$$' ? ctx : root === '$' ? data : undefined;
  if (at === undefined) throw new Error(`unsupported path ${path}`);
  for (const part of rest) {
    if (at === null || typeof at !== 'object' || !(part in at)) throw new Error(`States.Runtime: no ${path}`);
    at = (at as Record<string, Json>)[part];
  }
  return at;
}

function place(data: Json, resultPath: Json, result: Json): Json {
  if (resultPath === null) return data;
  if (resultPath === undefined || resultPath === '$') return result;
  const parts = String(resultPath).split('.').slice(1);
  const copy = structuredClone((data ?? {}) as Record<string, Json>);
  let at = copy;
  for (const part of parts.slice(0, -1)) {
    at[part] = at[part] ?? {};
    at = at[part] as Record<string, Json>;
  }
  at[parts.at(-1) as string] = result;
  return copy;
}
