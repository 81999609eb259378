"""Word lists for believable French demo data (people, places)."""

from __future__ import annotations

# Word lists read better packed, one screenful each.
# fmt: off
FIRST_NAMES_F = (
    "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Julie", "Laura", "Marine",
    "Pauline", "Céline", "Nathalie", "Isabelle", "Sandrine", "Sophie", "Claire", "Aurélie", "Émilie",
    "Élodie", "Mathilde", "Lucie", "Charlotte", "Anaïs", "Hélène", "Valérie", "Christine", "Martine",
    "Sylvie", "Catherine", "Agnès", "Amandine", "Audrey", "Margaux", "Justine", "Océane", "Clémence",
    "Noémie", "Zoé", "Louise", "Jade", "Yasmine", "Nadia", "Fatima", "Samira", "Brigitte", "Monique",
    "Virginie", "Stéphanie", "Delphine", "Coralie", "Maëlle", "Gaëlle", "Josiane",
)

FIRST_NAMES_M = (
    "Thomas", "Nicolas", "Julien", "Maxime", "Alexandre", "Antoine", "Romain", "Kevin", "Mathieu",
    "Guillaume", "Sébastien", "Jérôme", "Laurent", "Olivier", "Christophe", "Philippe", "Pascal",
    "Stéphane", "Frédéric", "Éric", "David", "Vincent", "François", "Benoît", "Cédric", "Damien",
    "Fabien", "Florian", "Hugo", "Lucas", "Théo", "Louis", "Paul", "Arthur", "Enzo", "Nathan",
    "Quentin", "Rémi", "Bastien", "Yann", "Karim", "Mehdi", "Youssef", "Rachid", "Mohamed", "Bernard",
    "Gérard", "Patrick", "Alain", "Michel", "Jean-Pierre", "Jean-Marc", "Loïc", "Gaël", "Hervé",
)

LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
    "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent",
    "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François",
    "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry",
    "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez",
    "Fontaine", "Chevalier", "Robin", "Masson", "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis",
    "Lemaire", "Duval", "Joly", "Gautier", "Roger", "Roche", "Roy", "Noël", "Meyer", "Lucas", "Meunier",
    "Perez", "Marchand", "Dufour", "Blanchard", "Barbier", "Brun", "Dumas", "Brunet", "Schmitt",
    "Leroux", "Colin", "Fernandez", "Pierre", "Renard", "Arnaud", "Rolland", "Caron", "Aubert",
    "Giraud", "Leclerc", "Vidal", "Bourgeois", "Renaud", "Lemoine", "Picard", "Gaillard", "Lacroix",
    "Fabre", "Dupuis", "Olivier", "Rodriguez", "Da Silva", "Hubert", "Guillot", "Rivière", "Le Gall",
    "Guillaume", "Adam", "Rey", "Moulin", "Gonzalez", "Berger", "Lecomte", "Ménard", "Fleury",
    "Deschamps", "Carpentier", "Julien", "Benoît", "Maillard", "Marchal", "Aubry", "Jacquet", "Collet",
    "Prévost", "Poirier", "Charpentier", "Royer", "Huet", "Baron", "Dupuy", "Pons", "Carré", "Breton",
    "Rémy", "Schneider", "Perrot", "Guyot", "Marty", "Cousin", "Bailly", "Chauvin", "Haddad", "Benali",
    "Mansouri", "Bouzid", "Diallo", "Traoré", "Ferreira", "Pereira", "Bonnard", "Vial", "Chapuis",
    "Bouvier", "Ducret", "Favre", "Pelletier", "Tardy", "Grange",
)

# Where customers live: postal code, town, streets of that town.
LOCALITIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("69001", "Lyon", ("rue de la République", "rue d'Algérie", "montée de la Grande-Côte", "rue Burdeau")),
    ("69002", "Lyon", ("rue Mercière", "quai Saint-Antoine", "rue Victor Hugo", "cours de Verdun")),
    ("69003", "Lyon", ("rue Garibaldi", "cours Lafayette", "avenue Félix Faure", "rue Paul Bert")),
    ("69004", "Lyon", ("boulevard de la Croix-Rousse", "rue d'Austerlitz", "grande rue de la Croix-Rousse")),
    ("69005", "Lyon", ("rue Saint-Jean", "montée du Chemin-Neuf", "avenue du Point-du-Jour")),
    ("69006", "Lyon", ("boulevard des Belges", "rue Vendôme", "cours Franklin Roosevelt", "rue Duguesclin")),
    ("69007", "Lyon", ("avenue Jean Jaurès", "avenue Berthelot", "rue de Marseille",
                       "grande rue de la Guillotière")),
    ("69008", "Lyon", ("avenue des Frères Lumière", "rue Marius Berliet", "boulevard des États-Unis")),
    ("69009", "Lyon", ("rue de Bourgogne", "quai Arloing", "avenue Sidoine Apollinaire")),
    ("69100", "Villeurbanne", ("cours Émile Zola", "rue Francis de Pressensé", "avenue Henri Barbusse",
                               "rue Anatole France")),
    ("69120", "Vaulx-en-Velin", ("avenue Georges Rougé", "rue Émile Zola", "chemin du Gabugy")),
    ("69130", "Écully", ("chemin de la Forestière", "avenue Guy de Collongue")),
    ("69150", "Décines-Charpieu", ("avenue Jean Jaurès", "rue Sully")),
    ("69160", "Tassin-la-Demi-Lune", ("avenue de la République", "chemin de la Raude")),
    ("69200", "Vénissieux", ("boulevard Marcel Sembat", "avenue Jean Cagne", "rue Paul Bert")),
    ("69300", "Caluire-et-Cuire", ("montée des Forts", "avenue Élisée Reclus", "chemin de Wette-Faye")),
    ("69500", "Bron", ("avenue Franklin Roosevelt", "boulevard Pinel", "rue de la Marne")),
    ("69600", "Oullins", ("grande rue", "boulevard Émile Zola")),
    ("69800", "Saint-Priest", ("route d'Heyrieux", "rue Henri Maréchal")),
    ("69140", "Rillieux-la-Pape", ("avenue de l'Europe", "chemin de Vancia")),
)

# Customers' mailboxes: reserved `.example` domains, so that no demo mail can reach a real person.
MAIL_DOMAINS = (
    "orange.example", "free.example", "sfr.example", "laposte.example", "gmail.example",
    "hotmail.example", "outlook.example", "wanadoo.example", "icloud.example", "yahoo.example",
)
# fmt: on
