package parse_test

import (
	"fmt"

	"github.com/seekd/seekd/chat/parse"
)

// A server streams an R1 answer: the prompt ended with "<think>\n", so the
// output starts inside the reasoning. Chunks split markers anywhere.
func ExampleParser() {
	prompt := "<｜begin▁of▁sentence｜><｜User｜>9.11 or 9.8?<｜Assistant｜><think>\n"
	p, err := parse.New(parse.FormatDeepSeekR1, parse.Options{
		StartInReasoning: parse.PromptOpensReasoning(prompt),
		TrimSpace:        true,
	})
	if err != nil {
		panic(err)
	}
	var events []parse.Event
	for _, chunk := range []string{"Compare 9.11", " and 9.80.\n</th", "ink>\n\n9.8", " is larger."} {
		events = p.Feed(events[:0], chunk)
		for _, e := range events {
			fmt.Println(e)
		}
	}
	for _, e := range p.Finish(events[:0]) {
		fmt.Println(e)
	}
	// Output:
	// reasoning["Compare 9.11"]
	// reasoning[" and 9.80."]
	// content["9.8"]
	// content[" is larger."]
}

// A whole V3.1 output with a tool call, as the non-streaming API returns it.
func ExampleParse() {
	out := "Let me check.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>" +
		`{"city": "Paris"}` + "<｜tool▁call▁end｜><｜tool▁calls▁end｜>"
	res, err := parse.Parse(parse.FormatV31, out, parse.Options{
		AllowTool: parse.AllowNames("get_weather"),
		NewID:     func(i int) string { return fmt.Sprintf("call_%02d_example", i) },
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("content %q\n", res.Content)
	for _, c := range res.ToolCalls {
		fmt.Printf("%d %s %s %s %s\n", c.Index, c.ID, c.Type, c.Function.Name, c.Function.Arguments)
	}
	// Output:
	// content "Let me check."
	// 0 call_00_example function get_weather {"city": "Paris"}
}
