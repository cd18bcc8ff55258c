package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newTemplateCmd is owned by the text issue (#3).
func newTemplateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "template",
		Short: "not implemented yet",
		RunE:  func(*cobra.Command, []string) error { return errors.New("template: not implemented yet") },
	}
}
