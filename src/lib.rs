//! chronia: a single-threaded async runtime for Linux. (Being written.)
