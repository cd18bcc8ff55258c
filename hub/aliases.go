package hub

import (
	"slices"
	"strings"
)

// Alias is a short model name such as "deepseek-r1:1.5b" that stands for a
// Hugging Face repo.
type Alias struct {
	// Name is what the user types (matched case-insensitively).
	Name string
	// Repo is the Hugging Face repo it stands for.
	Repo string
	// Params is the parameter count as DeepSeek states it ("1.5B", "671B").
	Params string
	// Huge marks models that need a confirmation before downloading (the
	// 671B-parameter ones: about 700 GB).
	Huge bool
}

// aliases is the table behind LookupAlias. It is never modified.
//
// Choices: "deepseek-r1" is R1-0528 (the newest R1 weights, same architecture
// and chat format as R1, better at reasoning and tool calls); "deepseek-v3" is
// V3-0324 (the newest plain V3 chat model: the plain V3 template and FP8 scales
// of the original release; V3.1 changed the template to hybrid thinking and its
// scales to UE8M0, so it has its own name, "deepseek-v3.1").
var aliases = [...]Alias{
	{Name: "deepseek-r1:1.5b", Repo: "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", Params: "1.5B"},
	{Name: "deepseek-r1:7b", Repo: "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", Params: "7B"},
	{Name: "deepseek-r1:8b", Repo: "deepseek-ai/DeepSeek-R1-Distill-Llama-8B", Params: "8B"},
	{Name: "deepseek-r1:14b", Repo: "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B", Params: "14B"},
	{Name: "deepseek-r1:32b", Repo: "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", Params: "32B"},
	{Name: "deepseek-r1:70b", Repo: "deepseek-ai/DeepSeek-R1-Distill-Llama-70B", Params: "70B"},
	{Name: "deepseek-r1", Repo: "deepseek-ai/DeepSeek-R1-0528", Params: "671B", Huge: true},
	{Name: "deepseek-r1:671b", Repo: "deepseek-ai/DeepSeek-R1-0528", Params: "671B", Huge: true},
	{Name: "deepseek-v2-lite", Repo: "deepseek-ai/DeepSeek-V2-Lite-Chat", Params: "16B"},
	{Name: "deepseek-v2:16b", Repo: "deepseek-ai/DeepSeek-V2-Lite-Chat", Params: "16B"},
	{Name: "deepseek-v3", Repo: "deepseek-ai/DeepSeek-V3-0324", Params: "671B", Huge: true},
	{Name: "deepseek-v3:671b", Repo: "deepseek-ai/DeepSeek-V3-0324", Params: "671B", Huge: true},
	{Name: "deepseek-v3.1", Repo: "deepseek-ai/DeepSeek-V3.1", Params: "671B", Huge: true},
}

// Aliases returns the table of short names, in a fresh slice.
func Aliases() []Alias { return slices.Clone(aliases[:]) }

// LookupAlias returns the alias named name (case-insensitively).
func LookupAlias(name string) (Alias, bool) {
	for _, a := range aliases {
		if strings.EqualFold(a.Name, name) {
			return a, true
		}
	}
	return Alias{}, false
}

// aliasesForRepo returns the alias names standing for repo.
func aliasesForRepo(repo string) []string {
	var names []string
	for _, a := range aliases {
		if strings.EqualFold(a.Repo, repo) {
			names = append(names, a.Name)
		}
	}
	return names
}
