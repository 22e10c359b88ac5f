package main

import (
	"context"
	"io"
)

// Temporary until the owning files land.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int { return 2 }
func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int  { return 2 }
func runGen(ctx context.Context, args []string, stdout, stderr io.Writer) int   { return 2 }
func runID(ctx context.Context, args []string, stdout, stderr io.Writer) int    { return 2 }
