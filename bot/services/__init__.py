"""Use cases joining the domain and storage. They reach Discord only through small interfaces."""
