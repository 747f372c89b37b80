"""The synthetic demo tambon (data.py), loading it (load.py), and many synthetic cases for
benchmarks (synthetic.py). Nothing here describes a real place or person."""
