package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newLogitsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logits",
		Short: "not implemented yet",
		RunE:  func(*cobra.Command, []string) error { return errors.New("logits: not implemented yet") },
	}
}
