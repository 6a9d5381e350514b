# RUN: not sporec %s -o %t.o 2>&1 | FileCheck %s
# A gradient evaluates the function once, with its state updates; a
# Jacobian evaluates it once per pass, none of which is the one.
# CHECK: {{.*}}assign-in-jacobian.py:15:9: error: cannot take the Jacobian of a function that assigns the state ('net.w'); update the state outside it
# CHECK: {{.*}}assign-in-jacobian.py:19:12: note: differentiated here
class Net(Cell):
    def __init__(self):
        self.w = Parameter(zeros((3,)))
net = Net()


def f(x):
    y = x * net.w
    if sum(y) > 0.0:
        assign(net.w, net.w * 0.5)
    return y
@export
def g(x: f32[3]) -> f32[3, 3]:
    return jacrev(f)(x)
