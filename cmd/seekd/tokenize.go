package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newTokenizeCmd is owned by the text issue (#3).
func newTokenizeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "tokenize",
		Short: "not implemented yet",
		RunE:  func(*cobra.Command, []string) error { return errors.New("tokenize: not implemented yet") },
	}
}
