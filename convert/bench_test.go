package convert

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/seekd/seekd/tensor"
)

// BenchmarkToGGUF converts tiny-v3 to Q4_0 (about 210 KB written).
func BenchmarkToGGUF(b *testing.B) {
	dir := b.TempDir()
	for i := 0; i < b.N; i++ {
		if err := ToGGUF(context.Background(), tinyV3, filepath.Join(dir, "x.gguf"), Options{Type: tensor.Q4_0, TokenizerDir: ggufTok}); err != nil {
			b.Fatal(err)
		}
	}
}
