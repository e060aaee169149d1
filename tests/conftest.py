import os

# Tests are sized for the 2-core CPU machines; more threads only contend.
os.environ.setdefault('OMP_NUM_THREADS', '2')
