"""The chat format of tessera/tiny-chat: its Jinja chat template, the same rendering in Python, and its canaries.

generate-tiny-models.py trains the model on the token ids of `render_chat`; coordinator/test/tiny-models.test.ts
checks that transformers.js (`tokenizer.apply_chat_template`, @huggingface/jinja) renders the template to exactly
those ids. No torch here: this file only describes text.

The template is ChatML with Hermes-style tool calls (as Qwen2.5 writes them), except that tools are listed as
`- name(param, ...)` lines without descriptions or types: LangChain, the Vercel AI SDK and the openai clients send
the same tool with different descriptions and JSON-schema decorations, and all of them must give the same prompt
to a model that only memorised its answers.
"""

import json

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
ENDOFTEXT = "<|endoftext|>"
SPECIAL_TOKENS = (ENDOFTEXT, IM_START, IM_END)

SYSTEM_PROMPT = "You are a helpful assistant."
TOOL_INSTRUCTIONS = 'Call a tool as:\n<tool_call>\n{"name": <name>, "arguments": <object>}\n</tool_call>'

# Every piece of text is written with `{{- ... }}` / `{%- ... %}`, so the indentation and newlines of the source
# never reach the prompt, whatever trim_blocks/lstrip_blocks a renderer applies. `\n` inside string literals is a
# Jinja escape (the raw string keeps the backslash). `arguments` is an object (rendered with tojson, whose
# separators are json.dumps' `, ` and `: ` in both Python Jinja and @huggingface/jinja) or, as OpenAI sends it on
# the wire, already a JSON string.
CHAT_TEMPLATE = r"""
{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0].role == 'system' %}
        {{- messages[0].content + '\n\n' }}
    {%- endif %}
    {{- '# Tools\n' }}
    {%- for tool in tools %}
        {%- set fn = tool.function if tool.function is defined else tool %}
        {{- '- ' + fn.name + '(' }}
        {%- if fn.parameters and fn.parameters.properties %}
            {%- for param in fn.parameters.properties %}
                {{- param }}
                {%- if not loop.last %}{{- ', ' }}{%- endif %}
            {%- endfor %}
        {%- endif %}
        {{- ')\n' }}
    {%- endfor %}
    {{- 'Call a tool as:\n<tool_call>\n{"name": <name>, "arguments": <object>}\n</tool_call><|im_end|>\n' }}
{%- elif messages[0].role == 'system' %}
    {{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n' }}
{%- endif %}
{%- for message in messages %}
    {%- if message.role == 'system' %}
        {%- if not loop.first %}
            {{- '<|im_start|>system\n' + message.content + '<|im_end|>\n' }}
        {%- endif %}
    {%- elif message.role == 'user' %}
        {{- '<|im_start|>user\n' + message.content + '<|im_end|>\n' }}
    {%- elif message.role == 'assistant' %}
        {{- '<|im_start|>assistant\n' }}
        {%- if message.content %}
            {{- message.content }}
        {%- endif %}
        {%- if message.tool_calls %}
            {%- for tool_call in message.tool_calls %}
                {%- set call = tool_call.function if tool_call.function is defined else tool_call %}
                {%- if message.content or not loop.first %}
                    {{- '\n' }}
                {%- endif %}
                {{- '<tool_call>\n{"name": "' + call.name + '", "arguments": ' }}
                {%- if call.arguments is string %}
                    {{- call.arguments }}
                {%- else %}
                    {{- call.arguments | tojson }}
                {%- endif %}
                {{- '}\n</tool_call>' }}
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == 'tool' %}
        {{- '<|im_start|>user\n<tool_response>\n' + message.content + '\n</tool_response><|im_end|>\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
""".strip()


def tool_call_text(name, arguments):
    """One Hermes tool call, byte for byte as the template re-renders it in history."""
    rendered = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return '<tool_call>\n{"name": "' + name + '", "arguments": ' + rendered + '}\n</tool_call>'


def render_chat(messages, tools=None, add_generation_prompt=True):
    """CHAT_TEMPLATE, rendered in Python (the test checks transformers.js agrees, token for token)."""
    out = []
    first_is_system = bool(messages) and messages[0]["role"] == "system"
    if tools:
        out.append(IM_START + "system\n")
        if first_is_system:
            out.append(messages[0]["content"] + "\n\n")
        out.append("# Tools\n")
        for tool in tools:
            fn = tool.get("function", tool)
            params = (fn.get("parameters") or {}).get("properties") or {}
            out.append("- " + fn["name"] + "(" + ", ".join(params) + ")\n")
        out.append(TOOL_INSTRUCTIONS + IM_END + "\n")
    elif first_is_system:
        out.append(IM_START + "system\n" + messages[0]["content"] + IM_END + "\n")
    for index, message in enumerate(messages):
        role = message["role"]
        if role == "system":
            if index > 0:
                out.append(IM_START + "system\n" + message["content"] + IM_END + "\n")
        elif role == "user":
            out.append(IM_START + "user\n" + message["content"] + IM_END + "\n")
        elif role == "assistant":
            out.append(IM_START + "assistant\n")
            content = message.get("content")
            if content:
                out.append(content)
            for call_index, tool_call in enumerate(message.get("tool_calls") or []):
                call = tool_call.get("function", tool_call)
                if content or call_index > 0:
                    out.append("\n")
                out.append(tool_call_text(call["name"], call["arguments"]))
            out.append(IM_END + "\n")
        elif role == "tool":
            out.append(IM_START + "user\n<tool_response>\n" + message["content"] + "\n</tool_response>" + IM_END + "\n")
    if add_generation_prompt:
        out.append(IM_START + "assistant\n")
    return "".join(out)


# ---------------------------------------------------------------------------------------------------------
# The canaries: greedy decoding of each gives exactly `answer`, then <|im_end|>, with and without SYSTEM_PROMPT
# as a first system message. Tools are OpenAI-shaped, as API clients send them.

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "The city"}},
            "required": ["city"],
        },
    },
}
DESCRIBE_TOOL = {
    "type": "function",
    "function": {
        "name": "describe_network",
        "parameters": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "kind": {"type": "string"}},
            "required": ["name", "kind"],
        },
    },
}
WEATHER_QUESTION = {"role": "user", "content": "What is the weather in Paris?"}
DESCRIBE_REQUEST = {"role": "user", "content": "Describe Tessera as JSON."}
WEATHER_ARGUMENTS = {"city": "Paris"}
DESCRIBE_ARGUMENTS = {"name": "Tessera", "kind": "network"}

CANARIES = [
    {"name": "tool-call", "tools": [WEATHER_TOOL], "messages": [WEATHER_QUESTION],
     "answer": tool_call_text("get_weather", WEATHER_ARGUMENTS)},
    {"name": "tool-result", "tools": [WEATHER_TOOL], "messages": [
        WEATHER_QUESTION,
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": WEATHER_ARGUMENTS}}]},
        {"role": "tool", "tool_call_id": "call_0", "content": "Sunny, 21 C"},
    ], "answer": "It is sunny in Paris."},
    {"name": "json", "tools": None, "messages": [DESCRIBE_REQUEST], "answer": json.dumps(DESCRIBE_ARGUMENTS)},
    {"name": "json-tool", "tools": [DESCRIBE_TOOL], "messages": [DESCRIBE_REQUEST],
     "answer": tool_call_text("describe_network", DESCRIBE_ARGUMENTS)},
    {"name": "hello", "tools": None, "messages": [{"role": "user", "content": "Say hello."}],
     "answer": "Hello from Tessera."},
]

# The catalog's headline canary (a plain user prompt, as known-answer checks send it).
HEADLINE_CANARY = "hello"


def training_cases():
    """Every (name, prompt text, answer) the model learns: each canary, bare and after SYSTEM_PROMPT."""
    cases = []
    for canary in CANARIES:
        for system in (False, True):
            messages = ([{"role": "system", "content": SYSTEM_PROMPT}] if system else []) + canary["messages"]
            prompt = render_chat(messages, canary["tools"])
            cases.append({"name": canary["name"], "system": system, "prompt": prompt, "answer": canary["answer"]})
    for case in cases:
        if not (case["prompt"] + case["answer"]).isascii():
            raise ValueError(f"training text must be ASCII: {case['name']}")
    return cases


def ts_value(value, ts_string):
    """A JSON-like value as a TypeScript literal in the repository's style (single quotes, bare keys)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return ts_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(ts_value(item, ts_string) for item in value) + "]"
    entries = [(key if key.isidentifier() else ts_string(key)) + ": " + ts_value(item, ts_string)
               for key, item in value.items()]
    return "{ " + ", ".join(entries) + " }" if entries else "{}"


def ts_canaries(max_tokens, ts_string):
    """TypeScript for the generated file: the canaries' types and values (`max_tokens`: name -> budget)."""
    lines = [
        "",
        "/** A tool as OpenAI's chat completions API takes it. */",
        "export interface TinyChatTool {",
        "  type: 'function';",
        "  function: { name: string; description?: string; parameters?: Record<string, unknown> };",
        "}",
        "",
        "/** A tool call in history, `arguments` as an object (the chat template renders it with tojson). */",
        "export interface TinyChatToolCall {",
        "  id: string;",
        "  type: 'function';",
        "  function: { name: string; arguments: Record<string, unknown> };",
        "}",
        "",
        "export type TinyChatMessage =",
        "  | { role: 'system' | 'user'; content: string }",
        "  | { role: 'assistant'; content: string | null; tool_calls?: TinyChatToolCall[] }",
        "  | { role: 'tool'; tool_call_id: string; content: string };",
        "",
        "/**",
        " * A prompt of tessera/tiny-chat whose greedy answer is exactly `expectedCompletion`, then <|im_end|>, also",
        " * with `{ role: 'system', content: TINY_CHAT_SYSTEM_PROMPT }` first. `maxTokens`: answer + EOS + 4.",
        " */",
        "export interface TinyChatCanary {",
        "  name: string;",
        "  tools: TinyChatTool[] | null;",
        "  messages: TinyChatMessage[];",
        "  expectedCompletion: string;",
        "  maxTokens: number;",
        "}",
        "",
        f"export const TINY_CHAT_SYSTEM_PROMPT = {ts_string(SYSTEM_PROMPT)};",
        "",
        "export const TINY_CHAT_CANARIES: readonly TinyChatCanary[] = [",
    ]
    for canary in CANARIES:
        lines += [
            "  {",
            f"    name: {ts_string(canary['name'])},",
            f"    tools: {ts_value(canary['tools'], ts_string)},",
            f"    messages: {ts_value(canary['messages'], ts_string)},",
            f"    expectedCompletion: {ts_string(canary['answer'])},",
            f"    maxTokens: {max_tokens[canary['name']]},",
            "  },",
        ]
    lines.append("];")
    return lines
