import GeneCoding
print("genecoding: the command line comes with the run store")
