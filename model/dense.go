package model

import (
	"fmt"

	"github.com/seekd/seekd/tensor"
	"github.com/seekd/seekd/weights"
)

func loadDenseHF(c *Config, ck *weights.Checkpoint, pool *tensor.Pool) (Model, error) {
	return nil, fmt.Errorf("model: %s is not supported yet", c.Arch)
}
