package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newGenerateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "generate",
		Short: "not implemented yet",
		RunE:  func(*cobra.Command, []string) error { return errors.New("generate: not implemented yet") },
	}
}
