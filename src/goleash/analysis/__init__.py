"""Analyses of snapshots: suspects in one snapshot, ignore packs, growth across snapshots."""
