//! GitLab simulator (being written).
