package pipeline_test

import (
	"testing"

	"example.com/clean/pipeline"
)

func TestPipeline(t *testing.T) {
	sum := 0
	for v := range pipeline.Double(pipeline.Double(pipeline.Emit(1, 2, 3))) {
		sum += v
	}
	if sum != 24 {
		t.Fatal(sum)
	}
}

func TestPipelineTable(t *testing.T) {
	for _, n := range []int{0, 1, 5} {
		t.Run("", func(t *testing.T) {
			vs := make([]int, n)
			count := 0
			for range pipeline.Double(pipeline.Emit(vs...)) {
				count++
			}
			if count != n {
				t.Fatal(count)
			}
		})
	}
}
