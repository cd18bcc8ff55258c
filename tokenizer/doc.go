// Package tokenizer is the byte-level BPE tokenizer of the models seekd
// serves: DeepSeek-V3/R1 (and V2), Qwen2/Qwen3 (R1-Distill-Qwen) and Llama 3
// (R1-Distill-Llama). It gives the same ids as Hugging Face's tokenizers on
// the model's tokenizer.json.
//
// A Tokenizer comes from a model folder or tokenizer.json (Load, Parse; the
// tokenizer_config.json beside it gives BOS, EOS and add_bos_token), or from
// the parts a GGUF file stores in its tokenizer.ggml.* metadata (FromParts;
// the pre-tokenizer is then named as llama.cpp names it, e.g. "deepseek-v3",
// "deepseek-r1-qwen", "llama-bpe").
//
// Encoding follows Hugging Face's pipeline:
//
//  1. Added tokens (special or not) are found in the text first:
//     leftmost-longest matches, with their lstrip, rstrip and single_word
//     rules; tokens marked normalized are looked for in the normalized text.
//  2. The rest is normalized (NFC for Qwen2, nothing for DeepSeek or Llama 3).
//  3. The pre-tokenizer splits it into pieces: a Sequence of Split regexes
//     (every behaviour: Isolated, Removed, MergedWithPrevious,
//     MergedWithNext, Contiguous; invert), Digits and ByteLevel.
//  4. Each piece is encoded by BPE over its bytes: the lowest-ranked merge
//     first, the leftmost among equals; with ignore_merges (Llama 3) a piece
//     that is a whole vocabulary token is taken as is.
//
// # Regexes
//
// Go's regexp (RE2) has no lookahead, and these pre-tokenizers need
// `\s+(?!\S)`. The regexes of the supported models are therefore hand-coded
// (patterns.go): each is a small function that tries the alternatives in
// order with the backtracking result a regex engine would give, recognized
// by the exact regex string. They run about ten times faster than the same
// regexes in a backtracking engine (BenchmarkPreTokenize), which would
// otherwise dominate the encoding time. Any other
// regex falls back to github.com/dlclark/regexp2 (a backtracking engine
// with .NET/Perl syntax, close to the Oniguruma engine Hugging Face uses),
// so an unfamiliar tokenizer.json still loads and encodes correctly, only
// more slowly. Tests check the hand-coded patterns against regexp2 on the
// corpus and on random text.
//
// \s means Unicode White_Space and \p{L}, \p{N}, \p{P}, \p{S}, \p{M} the
// Unicode general categories of Go's unicode tables, as in Oniguruma. (The
// transformers.js reference differs only on U+FEFF and U+0085 in \s; the
// contractions of Llama 3 and Qwen2 are matched ASCII case-insensitively,
// as transformers.js and llama.cpp do.)
//
// # Decoding
//
// Decode maps every token back to its bytes (an added token's content as
// is) and replaces invalid UTF-8 with U+FFFD as Hugging Face does; it does
// not clean up spaces. Detokenizer does the same incrementally for
// generation, never splitting a multi-byte character; TokenBytes gives a
// token's raw bytes (for logprobs).
//
// # Speed
//
// The vocabulary and merges (the bulk of an 8-12 MB tokenizer.json) are
// read by a small pull parser straight into the vocabulary map and a merge
// map keyed by a pair of ids; encoding/json only reads the small parts. A
// bounded, lock-free cache maps recent words to their ids. DeepSeek-V3's
// three splits run as one pass over the text. BenchmarkEncode and
// BenchmarkLoad measure both.
package tokenizer
