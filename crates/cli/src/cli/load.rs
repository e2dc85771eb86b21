//! `saylau board load`: a load tool for a board (issue 15, Targets).
