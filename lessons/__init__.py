"""What turns any graph into steps and shows them: the lesson machinery the worked examples use.

    steps.py             Number, Step, Demo, Tutorial: a lesson is a list of steps
    walkthrough_steps.py backward() one node at a time, as steps, for any graph
    walkthrough.py       walkthrough(root): those steps shown (terminal, page, notebook)
    quiz.py, worksheet.py  the chain rule asked factor by factor; a printable sheet of it
    terminal.py, pages.py, notebook.py, files.py  the front ends: the terminal stepper, the
                         HTML pages, the notebook widget, the files --out writes
    labels.py, grads.py  what a lesson builds its graph with: labelled values, fresh grads
    text.py              text every front end shares: paragraphs, the sparkline, agreement
    streams.py           the standard streams a command reads and writes, failing clearly
    graph_command.py, quiz_command.py, demo_command.py  the work of `chainrule graph`,
                         `chainrule quiz` and `chainrule demo` (cli.py parses their words)

Imports run one way: cli -> demos -> lessons -> nn and drawing -> engine.
"""
