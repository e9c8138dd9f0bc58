"""Operations: health checks, Prometheus metrics and redacted structured logs of every process."""
