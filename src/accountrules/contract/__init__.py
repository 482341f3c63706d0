"""What callers send and receive: the case and recommendation models (contract §1, §2), reading case files, and the YAML loader with source positions that case files and rule files share."""
