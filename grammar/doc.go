// Package grammar constrains generation to JSON: response_format
// json_object (any JSON object) and json_schema (a value valid under a
// JSON Schema), and the arguments of forced tool calls. A Constraint has
// the methods of the engine's Constraint interface (Mask, Accept,
// Complete): before each token it masks the logits of every token that
// cannot come next, so the output always parses and validates.
//
// # Use
//
// Build a Vocab once per model (FromTokenizer, or NewVocab from token
// bytes), then per request a Constraint:
//
//	v, _ := grammar.FromTokenizer(tok)           // once per model
//	c, err := v.JSON(schema)                     // per request; nil: json_object
//	c, err := v.JSON(nil, grammar.After([]byte("</think>")))  // thinking models
//	c, err := v.JSON(schema, grammar.Prefill([]byte(`{"`)))   // prompt ends in `{"`
//
// A schema error (unsupported keyword, bad pattern, unsatisfiable schema)
// comes from Compile/JSON, before generation: answer it with HTTP 400.
// Compile returns a Grammar that makes any number of constraints (n > 1);
// CompileChoice makes one of several alternatives, each a literal prefix
// then a JSON value, e.g. a tool call whose name is not forced:
// "get_weather<｜tool▁sep｜>" then get_weather's arguments, or another function.
//
// # Recognizer
//
// A byte-level pushdown automaton. Its state is a set of parse stacks:
// alternatives (anyOf, oneOf) that begin alike run side by side until the
// bytes tell them apart (at most 32). Strings must be valid UTF-8 (a
// character may be split across tokens and is completed by the next ones),
// with valid escapes and no raw control characters. EOS is allowed only
// where the output may end, and generation ends (Complete) right after the
// byte that closes the value: nothing may follow it. A top-level number, or
// a top-level literal that could go on (enum [1, 12]), ends by EOS instead.
//
// Limits, so that a model cannot loop: at most MaxWhitespace (20)
// consecutive white-space bytes between tokens (enough for pretty-printed
// output several levels deep; leading white space included, none after
// the value), numbers of at most MaxNumberLength (32) bytes, and at most
// MaxDepth (64) nested values. Everything else (string lengths, array
// lengths, json_object's keys) is as long as the model makes it; the
// server's max_tokens bounds it.
//
// # JSON Schema subset
//
//   - type: object, array, string, number, integer, boolean, null, and lists
//     of them; nullable: true (OpenAPI). Without type, the types the other
//     keywords apply to (all types when there are none).
//   - properties, required, additionalProperties (false, true or a schema;
//     unevaluatedProperties is read the same way when additionalProperties
//     is absent). Properties come in schema order, as OpenAI's strict mode
//     writes them: optional ones may be left out, required ones must come;
//     additional properties (when allowed) come after the listed ones and
//     may not repeat their names. Without additionalProperties, an object
//     with properties takes no others (the output still validates: extra
//     properties are only ever optional); one without properties takes any.
//   - items (a schema, false, or the tuple form of drafts 4 to 2019-09 with
//     additionalItems), prefixItems, minItems, maxItems.
//   - enum, const: the values as compact JSON (objects in the given key
//     order, strings with minimal escapes, numbers as written), filtered by
//     type. Other keywords next to enum or const are not checked against
//     the values.
//   - anyOf, oneOf (as alternatives: an output matching two oneOf
//     alternatives is not prevented), allOf with one schema, $ref to any
//     JSON pointer in the document (#, #/$defs/..., #/definitions/...), with
//     recursion. Validation keywords next to $ref, anyOf, oneOf or allOf are
//     refused.
//   - Strings: minLength, maxLength (in code points), pattern, format.
//     Patterns use the syntax Go's regexp shares with ECMA-262 (classes,
//     \d \w \s, \p{..}, groups, alternation, repetition, ^ and $; matched
//     anywhere unless anchored, as JSON Schema says); lookaround,
//     backreferences, \b and case-insensitive flags are refused. A pattern
//     becomes a DFA over characters (refused above 16,384 states), combined
//     with the length bounds. Formats enforced: date, time, date-time
//     (RFC 3339; leap days and leap seconds are left out), uuid, ipv4,
//     email (a common subset of addresses), hostname (labels of 1-63
//     characters; the 253-character total is not checked); other formats
//     (uri, ipv6, ...) are accepted and not enforced. In strings with a
//     length, pattern or format, \u escapes of surrogates are refused
//     (characters beyond the BMP are written as UTF-8).
//   - Numbers: minimum, maximum, exclusiveMinimum, exclusiveMaximum (numbers,
//     or draft 4 booleans), multipleOf. Bounded numbers are written without
//     exponent and checked exactly on every prefix; with multipleOf, numbers
//     are written as integers. Integers never take a fraction or exponent.
//   - Annotations (title, description, default, examples, $schema, $id,
//     $comment, deprecated, ...) and unknown keywords are ignored.
//   - Refused: not, if/then/else, allOf with several schemas,
//     patternProperties, propertyNames, dependentRequired, dependentSchemas,
//     dependencies, contains, minContains, maxContains, minProperties,
//     maxProperties, unevaluatedItems, uniqueItems: true, $dynamicRef,
//     $recursiveRef, references outside the document, and schemas no value
//     satisfies within the limits.
//
// Keys of objects with properties are matched against the names (escapes
// decoded); where no additional property may come, a key takes no \u
// escape. Property names with control characters are refused.
//
// # Masks
//
// Mask walks a byte trie of the vocabulary with the recognizer, pruning a
// branch at the first byte no parse takes. Inside strings, where most
// tokens are allowed, the tokens without a quote, backslash or control
// byte come from precomputed masks (per UTF-8 decoder state for free
// strings, per characters left for bounded ones, per DFA state for
// patterns, cached in the Grammar), and only the tokens with such a byte
// are walked. Control tokens (every added token: BOS, EOS, role and
// tool-call markers, <think>) are never allowed inside JSON; in the literal
// prefix of an alternative, a control token's text must be written as that
// token. BenchmarkMask measures Mask on DeepSeek-V3's 129,280 tokens.
package grammar
