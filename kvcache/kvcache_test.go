package kvcache

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSeqRowsAndBlocks(t *testing.T) {
	p, err := NewPool(Layout{Layers: 3, Width: 5}, 4, 3*5*4*4*3) // 3 blocks
	if err != nil {
		t.Fatal(err)
	}
	s := p.NewSeq()
	if err := s.Reserve(10); err != nil {
		t.Fatal(err)
	}
	if s.Cap() != 12 || p.InUse() != 3 {
		t.Fatalf("cap %d, in use %d", s.Cap(), p.InUse())
	}
	for l := 0; l < 3; l++ {
		for pos := 0; pos < 10; pos++ {
			s.Row(l, pos)[0] = float32(100*l + pos)
		}
	}
	for l := 0; l < 3; l++ {
		for b := 0; b < 3; b++ {
			blk := s.LayerBlock(l, b)
			for i := 0; i < 4 && 4*b+i < 10; i++ {
				if got := blk[i*5]; got != float32(100*l+4*b+i) {
					t.Fatalf("layer %d block %d row %d: %v", l, b, i, got)
				}
			}
		}
	}
	if err := p.NewSeq().Reserve(1); !errors.Is(err, ErrFull) {
		t.Fatalf("over budget: %v", err)
	}
	s.Release()
	if p.InUse() != 0 {
		t.Fatalf("%d blocks in use after release", p.InUse())
	}
}

func TestPrefixLookupPublish(t *testing.T) {
	p, _ := NewPool(Layout{Layers: 1, Width: 2}, 2, 1<<20)
	p.EnablePrefixCache(nil, 1)
	a := p.NewSeq()
	toks := []int{1, 2, 3, 4, 5, 6, 7}
	a.Reserve(len(toks))
	for pos := range toks {
		a.Row(0, pos)[0] = float32(toks[pos])
	}
	a.Publish("k", toks)
	a.Release()
	b := p.NewSeq()
	if hit := b.Lookup("k", append(toks[:6:6], 9)); hit != 6 {
		t.Fatalf("hit %d, want 6", hit)
	}
	if b.Row(0, 5)[0] != 6 {
		t.Fatalf("adopted block holds %v", b.Row(0, 5)[0])
	}
	c := p.NewSeq()
	if hit := c.Lookup("other", toks); hit != 0 {
		t.Fatalf("other scope hit %d", hit)
	}
	b.Release()
	if st := p.PrefixStats(); st.RAMBlocks != 3 || st.HitTokens != 6 {
		t.Fatalf("stats %+v", st)
	}
}

func TestDiskListAndClear(t *testing.T) {
	dir := t.TempDir()
	d, err := OpenDisk(DiskOptions{Dir: dir, ModelDigest: "abc", Label: "tiny", Layout: Layout{Layers: 1, Width: 2}, BlockTokens: 2, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	h := chainHash(scopeHash("k"), packTokens([]int{1, 2}))
	done := make(chan struct{})
	d.store(h, packTokens([]int{1, 2}), []float32{1, 2, 3, 4}, func() { close(done) })
	<-done
	d.Close()
	got := make([]float32, 4)
	d2, _ := OpenDisk(DiskOptions{Dir: dir, ModelDigest: "abc", Layout: Layout{Layers: 1, Width: 2}, BlockTokens: 2})
	defer d2.Close()
	if !d2.Load(h, packTokens([]int{1, 2}), got) || got[3] != 4 {
		t.Fatalf("load %v", got)
	}
	if d2.Load(h, packTokens([]int{1, 3}), got) {
		t.Fatal("a block loaded for other tokens")
	}
	list, err := ListDisk(dir)
	if err != nil || len(list) != 1 || list[0].Label != "tiny" {
		t.Fatalf("list %+v %v", list, err)
	}
	if _, err := OpenDisk(DiskOptions{Dir: dir, ModelDigest: "../x"}); err == nil {
		t.Fatal("bad digest accepted")
	}
	if err := ClearDisk(dir, "abc"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "abc")); !os.IsNotExist(err) {
		t.Fatal("not cleared")
	}
}
