package ancestry

import "testing"

func TestRunLeaksNotifier(t *testing.T) {
	Run("report")
}

func TestRunNothing(t *testing.T) {}
