"""The benchmark of `make bench`: figures of the real app on a national-size dataset."""
