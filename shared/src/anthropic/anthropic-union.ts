import { z } from 'zod';
import { CHAT_LIMITS } from '../openai/chat-completion.ts';

interface UnionIssue {
  code?: string;
  path: PropertyKey[];
  message: string;
  errors?: UnionIssue[][];
}

/** An option's issue that says the value is not of its kind: a string where an array is, another block `type`. */
function kindMismatch(issue: UnionIssue): boolean {
  if (issue.path.length === 0) return issue.code === 'invalid_type' || issue.code === 'custom';
  return issue.path.length === 1 && issue.path[0] === 'type';
}

/** The issues of the option the value was meant for: zod keeps every option's, this picks the caller's. */
function meantOption(errors: UnionIssue[][]): UnionIssue[] {
  return errors.find((issues) => !issues.some(kindMismatch)) ?? errors[0] ?? [];
}

function described(issues: readonly UnionIssue[], prefix: readonly PropertyKey[]): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors !== undefined && issue.errors.length > 0)
      return described(meantOption(issue.errors), path);
    return [`${path.length === 0 ? '' : `${path.map(String).join('.')}: `}${issue.message}`];
  });
}

/**
 * A union whose failure says what is wrong with the option the value was meant for (`0.id: expected string`),
 * rather than zod's bare "Invalid input" for the union as a whole.
 */
export function explainedUnion<const Options extends readonly [z.ZodType, z.ZodType, ...z.ZodType[]]>(options: Options) {
  return z.union(options, {
    error: (issue) => (issue.code === 'invalid_union' ? described(meantOption(issue.errors), []).join('; ') : undefined),
  });
}

/** What Tessera reads, or any other kind, which the mapping refuses by name (with `unsupported_parameter`). */
export function knownOrOther<Known extends z.ZodType>(known: Known, knownKinds: readonly string[]) {
  // `abort`: a known kind that failed its own schema must not pass as "other".
  const other = z.object({ type: z.string().min(1).max(64) }).refine((value) => !knownKinds.includes(value.type), { abort: true });
  return explainedUnion([known, other]);
}

/** Text, or an array of content blocks (at most as many as a conversation has messages). */
export function textOrBlocks<Block extends z.ZodType>(block: Block, minBlocks: number) {
  return explainedUnion([z.string().max(CHAT_LIMITS.maxContentChars), z.array(block).min(minBlocks).max(CHAT_LIMITS.maxMessages)]);
}
