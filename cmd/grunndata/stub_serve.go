package main

import (
	"context"
	"io"
)

// runServe is a placeholder until serve.go lands; delete this file then.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int { return 2 }
