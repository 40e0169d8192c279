"""Operations: Prometheus metrics of the API and the workers, structured logs."""
