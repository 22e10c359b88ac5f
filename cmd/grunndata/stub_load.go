package main

import (
	"context"
	"io"
)

// runLoad is a placeholder until load.go lands; delete this file then.
func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int { return 2 }
