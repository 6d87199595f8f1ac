import { ConfigError } from './config.ts';

/** One variable of a function's environment: whether every deployment sets it, and what it holds. */
export interface VariableSpec {
  readonly required: boolean;
  readonly holds: string;
}

/** A variable every deployment sets. */
export const needs = (holds: string) => ({ required: true, holds }) as const;
/** A variable only some settings produce; the function works without it. */
export const mayHave = (holds: string) => ({ required: false, holds }) as const;

type Spec = Readonly<Record<string, VariableSpec>>;
type RequiredNames<S extends Spec> = { [K in keyof S]: S[K]['required'] extends true ? K : never }[keyof S];
type OptionalNames<S extends Spec> = Exclude<keyof S, RequiredNames<S>>;

/** What a deployment sets: every required variable, any optional one, nothing else. */
export type EnvironmentValues<S extends Spec> = { readonly [K in RequiredNames<S>]: string } & {
  readonly [K in OptionalNames<S>]?: string;
};

/** What the function reads: a required variable read while unset throws `ConfigError` naming it. */
export type EnvironmentReading<S extends Spec> = { readonly [K in RequiredNames<S>]: string } & {
  readonly [K in OptionalNames<S>]: string | undefined;
};

/**
 * A function's environment, described once: the stack sets it through `values` (typed, so a required
 * variable cannot be left out and an unknown one cannot be added) and the function's composition reads it
 * through `read`. A required variable is checked when it is read, so a composition that overrides a part
 * (a test's queue in memory) needs none of that part's variables, and one that overrides nothing fails at
 * cold start, naming the variable.
 */
export interface FunctionEnvironment<S extends Spec> {
  readonly spec: S;
  values(values: EnvironmentValues<S>): Record<string, string>;
  /** A variable's name, checked against the description (for a value set after the function exists). */
  name<K extends keyof S & string>(name: K): K;
  read(env: NodeJS.ProcessEnv): EnvironmentReading<S>;
}

export function functionEnvironment<const S extends Spec>(spec: S): FunctionEnvironment<S> {
  return {
    spec,
    values(values) {
      const set: Record<string, string> = {};
      for (const [name, value] of Object.entries(values as Record<string, string | undefined>)) {
        if (!(name in spec)) throw new ConfigError(`${name} is not a variable of this function`);
        if (value !== undefined) set[name] = value;
      }
      return set;
    },
    name: (name) => name,
    read(env) {
      const reading = {};
      for (const [name, variable] of Object.entries(spec)) {
        Object.defineProperty(reading, name, {
          enumerable: true,
          get() {
            const value = env[name];
            const unset = value === undefined || value.trim() === '';
            if (unset && variable.required) {
              throw new ConfigError(
                `Environment variable ${name} is not set (${variable.holds}); the deployment must set it.`,
              );
            }
            return unset ? undefined : value;
          },
        });
      }
      return reading as EnvironmentReading<S>;
    },
  };
}
