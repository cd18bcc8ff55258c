// Command seekd is a self-hosted inference engine and server for DeepSeek's
// open-weight models: it loads checkpoints, runs them on the CPU, and serves
// them behind the DeepSeek/OpenAI API.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// usageError marks an error caused by what the user typed (a bad flag, a
// missing model, an out-of-range token id). It exits with status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "seekd",
		Short:         "Run DeepSeek's open-weight models on your own machine",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newLogitsCmd(),
		newGenerateCmd(),
		newTokenizeCmd(),
		newTemplateCmd(),
		newServeCmd(),
		newCacheCmd(),
		newBenchCmd(),
		newShowCmd(),
		newRunCmd(),
		newPullCmd(),
		newListCmd(),
		newRmCmd(),
		newConvertCmd(),
	)
	return root
}

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the command line and returns the process exit status:
// 0 on success, 2 for usage errors, 1 for anything else.
func run(args []string) int {
	return runIO(args, os.Stdin, os.Stdout, os.Stderr)
}

// runIO is run with the standard streams given (for tests).
func runIO(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "seekd: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(cmd, err) {
		return 2
	}
	return 1
}

// isCobraUsage reports errors that cobra raises itself for bad command lines
// (unknown commands, wrong argument counts).
func isCobraUsage(cmd *cobra.Command, err error) bool {
	if cmd == nil {
		return true
	}
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires ", "invalid argument", "flag needs", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
