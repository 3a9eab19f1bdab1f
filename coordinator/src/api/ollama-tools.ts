import { assertDistinctToolNames, assertModelTakesTools } from './tool-offer.ts';
import { TesseraError } from '@tessera/shared';
import type {
  ChatTaskSpec,
  ModelCatalogEntry,
  OllamaChatRequest,
  OllamaToolCall,
  TaskMessage,
  TaskSpec,
  TaskToolCall,
} from '@tessera/shared';
import { ToolCallTextFilter, parseHermesToolCalls } from './tool-call-parsing.ts';

type OllamaMessage = OllamaChatRequest['messages'][number];

/** An answer's message as Ollama writes it: the text outside tool calls, and the calls. */
export interface OllamaAnswerMessage {
  content: string;
  tool_calls?: OllamaToolCall[];
}

/**
 * `tools` of an `/api/chat` request as the task's, under the OpenAI chat route's rules: only for a model whose
 * catalog entry names a tool format, never for web-llm (guards could not replay its answers), not together
 * with `format` (the tab's grammar is one or the other). Ollama has no `tool_choice`: the model answers in
 * text or calls tools, as OpenAI's `auto`.
 */
export function ollamaTools(model: ModelCatalogEntry, request: Pick<OllamaChatRequest, 'tools' | 'format'>): Pick<ChatTaskSpec, 'tools'> {
  const tools = request.tools ?? [];
  if (tools.length === 0) return {};
  assertModelTakesTools(model);
  assertDistinctToolNames(tools.map((tool) => tool.function.name));
  if (request.format !== undefined && request.format !== '')
    throw new TesseraError('unsupported_parameter', 'format cannot be combined with tools yet: send one or the other.', 'format');
  return {
    tools: tools.map(({ function: tool }) => ({
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      ...(tool.parameters === undefined ? {} : { parameters: tool.parameters }),
    })),
  };
}

/**
 * The call a tool message answers: the one its id names, or the first unanswered one of the turn before it (of
 * its tool, when it names one). Each is answered once.
 */
function answeredCall(open: TaskToolCall[], message: OllamaMessage): string | undefined {
  const named = open.findIndex((call) => call.id === message.tool_call_id);
  const byTool = open.findIndex((call) => message.tool_name === undefined || call.name === message.tool_name);
  const at = message.tool_call_id !== undefined ? named : byTool === -1 ? 0 : byTool;
  const [call] = at === -1 ? [] : open.splice(at, 1);
  return message.tool_call_id ?? call?.id;
}

/**
 * Ollama's messages as the task's. Ollama's calls need no ids, but a task's do: a call without one gets
 * `call_<n>`, its place among the conversation's calls, so the same history always makes the same task.
 * Arguments (objects) become the JSON text a task carries. A tool message answers its `tool_call_id`, or the
 * first unanswered call (of its `tool_name`, if it names one) of the assistant turn before it.
 */
export function ollamaTaskMessages(messages: readonly OllamaMessage[]): TaskMessage[] {
  let calls = 0;
  let open: TaskToolCall[] = [];
  return messages.map((message, index): TaskMessage => {
    const toolCalls = message.tool_calls ?? [];
    if (toolCalls.length > 0 && message.role !== 'assistant')
      throw new TesseraError('invalid_request', 'Only an assistant message carries tool_calls.', `messages.${index}.tool_calls`);
    switch (message.role) {
      case 'assistant': {
        const taskCalls = toolCalls.map((call) => {
          const n = calls++;
          return { id: call.id ?? `call_${n}`, name: call.function.name, arguments: JSON.stringify(call.function.arguments) };
        });
        open = [...taskCalls];
        return { role: 'assistant', content: message.content, ...(taskCalls.length === 0 ? {} : { toolCalls: taskCalls }) };
      }
      case 'tool': {
        const id = answeredCall(open, message);
        return { role: 'tool', content: message.content, ...(id === undefined ? {} : { toolCallId: id }) };
      }
      default:
        return { role: message.role, content: message.content };
    }
  });
}

function argumentsObject(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.fromEntries(Object.entries(value)) : {};
}

/**
 * A chat task's answer as Ollama's message. With tools, the Hermes calls the tab's grammar made the model
 * write are parsed out of the text (as `chatAnswer` does, with the same ids), their arguments as objects.
 */
export function ollamaAnswerMessage(spec: TaskSpec, taskId: string, text: string): OllamaAnswerMessage {
  if (spec.kind !== 'chat' || spec.tools === undefined) return { content: text };
  const parsed = parseHermesToolCalls(text, `call_${taskId}`);
  if (parsed.toolCalls.length === 0) return { content: parsed.content ?? '' };
  return {
    content: parsed.content ?? '',
    tool_calls: parsed.toolCalls.map((call, index) => ({
      id: call.id,
      function: { index, name: call.function.name, arguments: argumentsObject(call.function.arguments) },
    })),
  };
}

/**
 * A streamed answer with tools: text passes through as it comes, but whatever may be (the start of) a tool
 * call is held back; at the end, the text the pieces have not said yet and the calls go out in one piece, as
 * Ollama sends `tool_calls`.
 */
export class OllamaToolStream {
  readonly #filter = new ToolCallTextFilter();
  #sent = '';

  /** The part of `delta` that is certainly text outside tool calls. */
  text(delta: string): string {
    const text = this.#filter.push(delta);
    this.#sent += text;
    return text;
  }

  /** The last piece before `done`: the answer's text past what was streamed (held back, then not a call) and its calls. */
  end(answer: OllamaAnswerMessage): OllamaAnswerMessage | undefined {
    const { content } = answer;
    // The answer's text is trimmed; the pieces were not, so whitespace streamed before a call is not said again.
    const said = content.startsWith(this.#sent) ? this.#sent : this.#sent.trimEnd();
    const rest = content.startsWith(said) ? content.slice(said.length) : '';
    if (rest === '' && answer.tool_calls === undefined) return undefined;
    return { content: rest, ...(answer.tool_calls === undefined ? {} : { tool_calls: answer.tool_calls }) };
  }
}
