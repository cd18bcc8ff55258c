package hub

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseModelRef(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ModelRef
		err  string
	}{
		{in: "deepseek-r1:1.5b", want: ModelRef{Alias: "deepseek-r1:1.5b", Repo: "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B"}},
		{in: "DeepSeek-R1:8B", want: ModelRef{Alias: "deepseek-r1:8b", Repo: "deepseek-ai/DeepSeek-R1-Distill-Llama-8B"}},
		{in: "deepseek-r1", want: ModelRef{Alias: "deepseek-r1", Repo: "deepseek-ai/DeepSeek-R1-0528", Huge: true}},
		{in: "deepseek-v3", want: ModelRef{Alias: "deepseek-v3", Repo: "deepseek-ai/DeepSeek-V3-0324", Huge: true}},
		{in: "deepseek-v2-lite", want: ModelRef{Alias: "deepseek-v2-lite", Repo: "deepseek-ai/DeepSeek-V2-Lite-Chat"}},
		{in: "deepseek-ai/DeepSeek-R1", want: ModelRef{Repo: "deepseek-ai/DeepSeek-R1"}},
		{in: "deepseek-ai/DeepSeek-V3-0324", want: ModelRef{Repo: "deepseek-ai/DeepSeek-V3-0324", Huge: true}},
		{in: "org/name@v1.0", want: ModelRef{Repo: "org/name", Revision: "v1.0"}},
		{in: "org/name@refs/pr/1", want: ModelRef{Repo: "org/name", Revision: "refs/pr/1"}},
		{in: "org/name:Q4_K_M", want: ModelRef{Repo: "org/name", Quant: "Q4_K_M"}},
		{in: "org/name:UD-IQ1_S@main", want: ModelRef{Repo: "org/name", Quant: "UD-IQ1_S", Revision: "main"}},
		{in: "org/name@main:Q8_0", want: ModelRef{Repo: "org/name", Quant: "Q8_0", Revision: "main"}},
		{in: "hf.co/org/name:Q8_0", want: ModelRef{Repo: "org/name", Quant: "Q8_0"}},
		{in: "https://huggingface.co/org/name", want: ModelRef{Repo: "org/name"}},
		{in: "llama3", err: `unknown model "llama3"`},
		{in: "org/na--me", err: "not a Hugging Face repo name"},
		{in: "org/../x", err: "not a Hugging Face repo name"},
		{in: "a/b/c", err: "not a Hugging Face repo name"},
		{in: "org/name@", err: "empty revision"},
		{in: "org/name@../../etc", err: "bad revision"},
		{in: "org/name@a//b", err: "bad revision"},
		{in: "org/name:Q4:Q8", err: "bad quantization"},
		{in: "org/name:Q4@main:Q8", err: "two quantizations"},
	} {
		got, err := ParseModelRef(tc.in)
		if tc.err != "" {
			if err == nil || !contains(err.Error(), tc.err) {
				t.Errorf("ParseModelRef(%q) = %+v, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseModelRef(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if tc.want.Alias == "" {
			if back, err := ParseModelRef(got.String()); err != nil || back != got {
				t.Errorf("round trip of %q: %+v, %v", got.String(), back, err)
			}
		}
	}
}

func TestAliasesTable(t *testing.T) {
	for _, a := range Aliases() {
		if err := checkRepo(a.Repo); err != nil {
			t.Errorf("%s: %v", a.Name, err)
		}
		if (a.Params == "671B") != a.Huge {
			t.Errorf("%s: %s parameters but Huge=%v", a.Name, a.Params, a.Huge)
		}
	}
	for _, name := range []string{"deepseek-r1:1.5b", "deepseek-r1:7b", "deepseek-r1:8b", "deepseek-r1:14b", "deepseek-r1:32b", "deepseek-r1:70b", "deepseek-v2-lite", "deepseek-v3", "deepseek-r1"} {
		if _, ok := LookupAlias(name); !ok {
			t.Errorf("no alias %s", name)
		}
	}
}

func TestGGUFQuantFromName(t *testing.T) {
	for in, want := range map[string]string{
		"DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf":                     "Q4_K_M",
		"deepseek-r1-distill-qwen-1.5b-q8_0.gguf":                       "Q8_0",
		"DeepSeek-R1-UD-IQ1_S/DeepSeek-R1-UD-IQ1_S-00001-of-00003.gguf": "UD-IQ1_S",
		"DeepSeek-V3-0324-UD-Q2_K_XL-00002-of-00006.gguf":               "UD-Q2_K_XL",
		"model-BF16.gguf":                   "BF16",
		"DeepSeek-R1.F16.gguf":              "F16",
		"tiny-v3-Q6_K.gguf":                 "Q6_K",
		"gpt-oss-20b-MXFP4.gguf":            "MXFP4",
		"model.gguf":                        "",
		"DeepSeek-V2-Lite-Chat.IQ4_XS.gguf": "IQ4_XS",
	} {
		if got := GGUFQuantFromName(in); got != want {
			t.Errorf("GGUFQuantFromName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSettingsFromEnv(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "hf"), 0o755)
	os.WriteFile(filepath.Join(home, "hf", "token"), []byte("hf_fromfile\n"), 0o600)
	for _, tc := range []struct {
		name string
		env  map[string]string
		want Settings
	}{
		{"defaults", map[string]string{"HOME": home},
			Settings{CacheDir: filepath.Join(home, ".cache", "huggingface", "hub"), Endpoint: DefaultEndpoint}},
		{"xdg", map[string]string{"HOME": home, "XDG_CACHE_HOME": "/x"},
			Settings{CacheDir: "/x/huggingface/hub", Endpoint: DefaultEndpoint}},
		{"hf_home and token file", map[string]string{"HOME": home, "HF_HOME": filepath.Join(home, "hf")},
			Settings{CacheDir: filepath.Join(home, "hf", "hub"), Endpoint: DefaultEndpoint, Token: "hf_fromfile", TokenSource: filepath.Join(home, "hf", "token")}},
		{"hub cache, endpoint, token, offline", map[string]string{"HOME": home, "HF_HOME": filepath.Join(home, "hf"), "HF_HUB_CACHE": "~/c",
			"HF_ENDPOINT": "http://mirror.local/", "HF_TOKEN": " hf_env ", "HF_HUB_OFFLINE": "1"},
			Settings{CacheDir: filepath.Join(home, "c"), Endpoint: "http://mirror.local", Token: "hf_env", TokenSource: "HF_TOKEN", Offline: true}},
		{"legacy names", map[string]string{"HOME": home, "HUGGINGFACE_HUB_CACHE": "/legacy", "HUGGING_FACE_HUB_TOKEN": "hf_old"},
			Settings{CacheDir: "/legacy", Endpoint: DefaultEndpoint, Token: "hf_old", TokenSource: "HUGGING_FACE_HUB_TOKEN"}},
	} {
		got, err := SettingsFromEnv(func(k string) string { return tc.env[k] })
		if err != nil || got != tc.want {
			t.Errorf("%s: got %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	if _, err := SettingsFromEnv(func(k string) string { return map[string]string{"HOME": home, "HF_ENDPOINT": "ftp://x"}[k] }); err == nil {
		t.Error("ftp endpoint accepted")
	}
}

func TestConfigQuant(t *testing.T) {
	dir := t.TempDir()
	for cfg, want := range map[string]string{
		`{"torch_dtype":"bfloat16"}`: "BF16",
		`{"dtype":"float16"}`:        "F16",
		`{"torch_dtype":"bfloat16","quantization_config":{"quant_method":"fp8","fmt":"e4m3","weight_block_size":[128,128]}}`: "FP8-E4M3",
		`{"quantization_config":{"quant_method":"awq","bits":4}}`:                                                            "AWQ-4BIT",
		`{}`:       "",
		`not json`: "",
	} {
		p := filepath.Join(dir, "config.json")
		os.WriteFile(p, []byte(cfg), 0o644)
		if got := configQuant(p); got != want {
			t.Errorf("configQuant(%s) = %q, want %q", cfg, got, want)
		}
	}
}

func TestHeaderParsing(t *testing.T) {
	for in, want := range map[string]string{`"abc"`: "abc", `W/"abc"`: "abc", `abc`: "abc", ``: ``} {
		if got := normalizeEtag(in); got != want {
			t.Errorf("normalizeEtag(%q) = %q", in, got)
		}
	}
	if n, err := contentRangeStart("bytes 100-199/1000"); err != nil || n != 100 {
		t.Errorf("contentRangeStart = %d, %v", n, err)
	}
	if _, err := contentRangeStart("bytes */1000"); err == nil {
		t.Error("unsatisfied range accepted")
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestGGUFQuantPreference(t *testing.T) {
	meta := func(q string) GGUFQuantFunc { return func(string) (string, error) { return q, nil } }
	for _, tc := range []struct {
		name, meta, want string
	}{
		{"R1-UD-Q2_K_XL-00001-of-00005.gguf", "Q2_K", "UD-Q2_K_XL"},
		{"model-Q4_K_M.gguf", "Q4_K_M", "Q4_K_M"},
		{"model.gguf", "Q8_0", "Q8_0"},
		{"mislabelled-Q8_0.gguf", "Q4_0", "Q4_0"},
	} {
		if got := ggufQuant("/x/"+tc.name, tc.name, meta(tc.meta)); got != tc.want {
			t.Errorf("ggufQuant(%s, meta %s) = %s, want %s", tc.name, tc.meta, got, tc.want)
		}
	}
	if GGUFFileTypeName(15) != "Q4_K_M" || GGUFFileTypeName(32) != "BF16" || GGUFFileTypeName(999) != "FTYPE_999" {
		t.Error("GGUFFileTypeName")
	}
}
