"""Renderers: terminal text, JSON, SARIF. They read analysis results and never analyse."""
