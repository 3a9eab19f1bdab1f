import { describe, expect, it } from 'vitest';
import { ToolCallTextFilter, parseHermesToolCalls } from './tool-call-parsing.ts';

const call = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';

describe('Hermes tool calls in an answer', () => {
  it('become OpenAI tool_calls with the task-derived ids; text outside stays content', () => {
    expect(parseHermesToolCalls(call, 'call_t')).toEqual({
      content: null,
      toolCalls: [{ id: 'call_t_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
    });
    const two = parseHermesToolCalls(`Let me check. ${call}\n${call.replace('Paris', 'Oslo')}`, 'c');
    expect(two.content).toBe('Let me check.');
    expect(two.toolCalls.map((item) => item.function.arguments)).toEqual(['{"city":"Paris"}', '{"city":"Oslo"}']);
  });

  it('a block cut short or not JSON stays text', () => {
    expect(parseHermesToolCalls('<tool_call>\n{"name": "get_wea', 'c')).toEqual({
      content: '<tool_call>\n{"name": "get_wea',
      toolCalls: [],
    });
    expect(parseHermesToolCalls('<tool_call>nope</tool_call>', 'c')).toEqual({ content: '<tool_call>nope</tool_call>', toolCalls: [] });
    expect(parseHermesToolCalls('plain', 'c')).toEqual({ content: 'plain', toolCalls: [] });
  });

  it('streams: text passes as it comes, a call split over deltas is held back whole', () => {
    const filter = new ToolCallTextFilter();
    const pieces = ['Sure', ' <tool', '_call>\n{"name": "get', '_weather", "arguments": {}}\n</tool_', 'call> done', ' <', 'b>'];
    expect(pieces.map((piece) => filter.push(piece))).toEqual(['Sure', ' ', '', '', ' done', ' ', '<b>']);
  });
});
